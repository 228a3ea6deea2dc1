package convsync

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// Sync (CDS) error codes the SDK maps to SyncError.
const (
	codeSyncNotFound     = 54100 // unknown document, map or list
	codeSyncItemNotFound = 54201 // unknown item
	codeSyncBadRequest   = 54009 // malformed request
)

// Sync items pages hold at most this many items (Sync's limit).
const maxSyncPageSize = 100

// serveSync answers GET /v3/{Documents|Maps|Lists}/{id}[/Items[/{key}]].
func (c *conn) serveSync(r twilsock.Request, segs []string) twilsock.Response {
	if r.Method != http.MethodGet {
		return syncError(http.StatusMethodNotAllowed, codeSyncBadRequest, "Method not allowed: "+r.Method+" "+r.Path)
	}
	if len(segs) < 3 || len(segs) > 5 || (len(segs) >= 4 && segs[3] != "Items") {
		return syncError(http.StatusNotFound, codeSyncNotFound, "Not found: "+r.Path)
	}
	collection, ref := segs[1], segs[2]
	q := decodeParams(r.Params)
	var resp twilsock.Response
	err := c.view(func(v view) error {
		o, ok := c.resolve(v, collection, ref)
		switch {
		case !ok:
			resp = syncNotFound(collection, ref)
		case len(segs) == 3:
			d, found := v.descriptor(o, q.Get("Include") == "items")
			if !found {
				resp = syncNotFound(collection, ref)
				return nil
			}
			c.svc.remember(c.accountSID, o)
			resp = jsonResponse(http.StatusOK, d)
		case o.kind == kindDocument:
			resp = syncError(http.StatusNotFound, codeSyncNotFound, "Documents have no items")
		case !v.exists(o):
			resp = syncNotFound(collection, ref)
		case len(segs) == 5:
			for _, it := range v.items(o) {
				if it.key == segs[4] {
					resp = jsonResponse(http.StatusOK, v.itemJSON(o, it))
					return nil
				}
			}
			resp = syncError(http.StatusNotFound, codeSyncItemNotFound, "Item "+segs[4]+" not found in "+o.uniqueName())
		default:
			resp = c.itemsPage(v, o, q)
		}
		return nil
	})
	if err != nil {
		return aimError(err)
	}
	return resp
}

// resolve maps a CDS reference to an object of the session's service.
// Called under the account lock.
func (c *conn) resolve(v view, collection, ref string) (object, bool) {
	c.svc.mu.Lock()
	defer c.svc.mu.Unlock()
	return parseRef(collection, ref, objService(v.eng, c.service(v.eng)), c.svc.account(c.accountSID).names)
}

// itemsPage answers an items query: Key or Index (one item), From (the
// first key or index, inclusive), Order asc|desc, PageSize, PageToken.
func (c *conn) itemsPage(v view, o object, q url.Values) twilsock.Response {
	all := v.items(o)
	list := o.kind == kindMessages
	if k := q.Get("Key"); k != "" || (list && q.Get("Index") != "") {
		if list {
			k = q.Get("Index")
		}
		page := []map[string]any{}
		for _, it := range all {
			if it.key == k {
				page = append(page, v.itemJSON(o, it))
			}
		}
		return jsonResponse(http.StatusOK, map[string]any{"items": page, "meta": map[string]any{"previous_token": nil, "next_token": nil}})
	}
	desc := strings.EqualFold(q.Get("Order"), "desc")
	if desc {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	size := maxSyncPageSize
	if n, err := strconv.Atoi(q.Get("PageSize")); err == nil && n > 0 && n < size {
		size = n
	}
	// before reports whether item a comes before the key or index k in this order.
	before := func(a item, k string) bool {
		if list {
			n, err := strconv.Atoi(k)
			if err != nil {
				return false
			}
			if desc {
				return a.index > n
			}
			return a.index < n
		}
		if desc {
			return a.key > k
		}
		return a.key < k
	}
	start, end := 0, len(all)
	switch dir, key := parseToken(q.Get("PageToken")); {
	case dir == "n":
		for start < len(all) && (before(all[start], key) || all[start].key == key) {
			start++
		}
	case dir == "p":
		end = 0
		for end < len(all) && before(all[end], key) {
			end++
		}
		start = max(0, end-size)
	case q.Get("From") != "":
		for start < len(all) && before(all[start], q.Get("From")) {
			start++
		}
	}
	end = min(end, start+size)
	page := make([]map[string]any, 0, end-start)
	for _, it := range all[start:end] {
		page = append(page, v.itemJSON(o, it))
	}
	meta := map[string]any{"previous_token": nil, "next_token": nil}
	if start > 0 && end > start {
		meta["previous_token"] = makeToken("p", all[start].key)
	}
	if end < len(all) && end > start {
		meta["next_token"] = makeToken("n", all[end-1].key)
	}
	return jsonResponse(http.StatusOK, map[string]any{"items": page, "meta": meta})
}

func makeToken(dir, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(dir + "|" + key))
}

func parseToken(tok string) (dir, key string) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", ""
	}
	d, k, ok := strings.Cut(string(b), "|")
	if !ok || (d != "n" && d != "p") {
		return "", ""
	}
	return d, k
}

func syncNotFound(collection, ref string) twilsock.Response {
	what := map[string]string{"Maps": "Map", "Lists": "List", "Documents": "Document"}[collection]
	if what == "" {
		what = "Object"
	}
	return syncError(http.StatusNotFound, codeSyncNotFound, what+" "+ref+" not found")
}

// syncError is a CDS error: {"status","code","message"}.
func syncError(status, code int, msg string) twilsock.Response {
	return jsonResponse(status, map[string]any{"status": status, "code": code, "message": msg})
}

// view runs fn with a projection view of the account's engine, under the
// account lock.
func (c *conn) view(fn func(view) error) error {
	return c.svc.backend.Do(c.accountSID, func(eng *conversations.Engine) error {
		return fn(c.svc.viewOf(c.accountSID, eng))
	})
}

// viewOf is the view of eng, the account's current engine (attached now if
// it was not yet); called under the account lock.
func (s *Service) viewOf(accountSID string, eng *conversations.Engine) view {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(accountSID)
	s.attach(a, eng)
	return view{eng: eng, offset: a.offset}
}

// remember records the SID of a user object so later requests by SID find it.
func (s *Service) remember(accountSID string, o object) {
	if o.conv != "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(accountSID)
	if len(a.names) >= maxNames {
		a.names = map[string]object{}
	}
	a.names[o.sid()] = o
}

// maxNames bounds the remembered user-object SIDs of an account.
const maxNames = 100_000

// decodeParams URL-decodes the query as the SDK sent it (split, not decoded).
func decodeParams(p map[string]string) url.Values {
	q := url.Values{}
	for k, v := range p {
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		q.Set(dk, dv)
	}
	return q
}
