package twilio

import (
	"net/url"
	"strconv"
	"strings"
)

// Page is one page of a list response in Twilio's envelope: the items under
// meta.key plus the meta block.
type Page struct {
	Key   string
	Items []any
	Meta  Meta
}

// Meta is Twilio's list metadata.
type Meta struct {
	Page            int     `json:"page"`
	PageSize        int     `json:"page_size"`
	FirstPageURL    string  `json:"first_page_url"`
	PreviousPageURL *string `json:"previous_page_url"`
	URL             string  `json:"url"`
	NextPageURL     *string `json:"next_page_url"`
	Key             string  `json:"key"`
}

// MarshalJSON renders {"<key>": [...], "meta": {...}}.
func (p Page) MarshalJSON() ([]byte, error) { return p.appendJSON(nil) }

func (p Page) appendJSON(dst []byte) ([]byte, error) {
	items := p.Items
	if items == nil {
		items = []any{}
	}
	return appendOrdered(dst, p.Key, items, "meta", &p.Meta)
}

// maxPageOffset bounds the offset a page token may carry: far beyond any
// list flexemu holds, far below where offset+size could overflow.
const maxPageOffset = 1 << 40

// ParsePageToken reads a token Paginate issued ("PT<offset>"). Anything
// else, or an offset no list could reach, is Twilio's 400 naming PageToken.
func ParsePageToken(tok string) (int, error) {
	digits, ok := strings.CutPrefix(tok, "PT")
	n, err := strconv.ParseInt(digits, 10, 64)
	if !ok || err != nil || n < 0 || n > maxPageOffset || digits != strconv.FormatInt(n, 10) {
		return 0, InvalidParam("PageToken", "%q is not a page token this API issued", tok)
	}
	return int(n), nil
}

// Paginate slices items by PageSize / Page / PageToken and builds absolute
// page URLs from listURL (the list's own URL without query). Extra query
// filters in the request are carried into the page URLs so twilio-go, which
// follows next_page_url verbatim, keeps filtering.
func Paginate[T any](r *Request, listURL, key string, items []T, render func(T) any, maxPageSize int) (Page, error) {
	def := 50
	if maxPageSize < def {
		def = maxPageSize // e.g. conversation-scoped webhooks: 5
	}
	size, err := r.Form.Int("PageSize", def, 1, maxPageSize)
	if err != nil {
		return Page{}, err
	}
	page, err := r.Form.Int("Page", 0, 0, 1<<30)
	if err != nil {
		return Page{}, err
	}
	offset := page * size
	if tok, ok := r.Form.String("PageToken"); ok {
		n, err := ParsePageToken(tok)
		if err != nil {
			return Page{}, err
		}
		offset = n
	}
	var filters url.Values
	for k, v := range r.Form.Values {
		if k != "PageSize" && k != "Page" && k != "PageToken" {
			if filters == nil {
				filters = url.Values{}
			}
			filters[k] = v
		}
	}
	pageURL := func(p, off int, token bool) string {
		if filters == nil {
			// What url.Values.Encode would write: keys sorted, nothing to escape.
			u := listURL + "?Page=" + strconv.Itoa(p) + "&PageSize=" + strconv.Itoa(size)
			if token {
				u += "&PageToken=PT" + strconv.Itoa(off)
			}
			return u
		}
		q := url.Values{}
		for k, v := range filters {
			q[k] = v
		}
		q.Set("PageSize", strconv.Itoa(size))
		q.Set("Page", strconv.Itoa(p))
		if token {
			q.Set("PageToken", "PT"+strconv.Itoa(off))
		}
		return listURL + "?" + q.Encode()
	}
	end := offset + size
	if offset > len(items) {
		offset = len(items)
	}
	if end > len(items) {
		end = len(items)
	}
	out := make([]any, 0, end-offset)
	for _, it := range items[offset:end] {
		out = append(out, render(it))
	}
	meta := Meta{Page: page, PageSize: size, Key: key,
		FirstPageURL: pageURL(0, 0, false), URL: pageURL(page, offset, offset != page*size)}
	if end < len(items) {
		s := pageURL(page+1, end, true)
		meta.NextPageURL = &s
	}
	if offset > 0 {
		prev := offset - size
		if prev < 0 {
			prev = 0
		}
		pp := page - 1
		if pp < 0 {
			pp = 0
		}
		s := pageURL(pp, prev, true)
		meta.PreviousPageURL = &s
	}
	return Page{Key: key, Items: out, Meta: meta}, nil
}
