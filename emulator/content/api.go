package content

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Product is the Content API host and the emulator path prefix serving it.
var Product = twilio.Product{Prefix: "content", Host: "content.twilio.com"}

// maxBody bounds a create or update body.
const maxBody = 1 << 20

// maxPageSize bounds list pages.
const maxPageSize = 1000

// Mount registers the Content v1 routes on mux. Twilio's Content API takes
// JSON bodies (not the form encoding of the other products), so it does not
// go through twilio.Mount's form decoding.
func Mount(mux *http.ServeMux, bind twilio.Binder[*Engine]) {
	const (
		list = "/v1/Content"
		item = list + "/{Sid}"
	)
	handle(mux, bind, http.MethodGet, list, http.StatusOK, listContent)
	handle(mux, bind, http.MethodPost, list, http.StatusCreated, createContent)
	handle(mux, bind, http.MethodGet, item, http.StatusOK, fetchContent)
	handle(mux, bind, http.MethodPut, item, http.StatusOK, updateContent)
	handle(mux, bind, http.MethodDelete, item, http.StatusNoContent, deleteContent)
}

type handler func(e *Engine, r *twilio.Request, body []byte) (any, error)

func handle(mux *http.ServeMux, bind twilio.Binder[*Engine], method, path string, status int, h handler) {
	mux.HandleFunc(method+" "+path, func(w http.ResponseWriter, hr *http.Request) {
		var body []byte
		if method == http.MethodPost || method == http.MethodPut {
			var err error
			if body, err = readJSONBody(hr); err != nil {
				twilio.WriteError(w, err)
				return
			}
		}
		req := &twilio.Request{HTTP: hr, Form: twilio.Form{Values: hr.URL.Query()}, BaseURL: Product.BaseURL(hr)}
		var buf []byte
		err := bind(req, func(e *Engine) error {
			v, err := h(e, req, body)
			if err == nil && v != nil {
				buf, err = json.Marshal(v)
			}
			return err
		})
		if err != nil {
			twilio.WriteError(w, err)
			return
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
		w.WriteHeader(status)
		_, _ = w.Write(buf)
	})
}

func readJSONBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return nil, twilio.NewError(http.StatusUnsupportedMediaType, twilio.CodeInvalidParameter,
				"Content-Type %q is not supported; the Content API takes application/json", mt)
		}
	}
	if r.Body == nil {
		return nil, twilio.BadRequest("the request body must be a JSON object")
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, twilio.BadRequest("could not read request body: %v", err)
	}
	if len(raw) > maxBody {
		return nil, twilio.NewError(http.StatusRequestEntityTooLarge, twilio.CodeInvalidParameter, "request body too large")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, twilio.BadRequest("the request body must be a JSON object")
	}
	return raw, nil
}

// requestBody is a create or update body, as Twilio's Content API takes it.
type requestBody struct {
	FriendlyName string            `json:"friendly_name"`
	Language     string            `json:"language"`
	Variables    map[string]string `json:"variables"`
	Types        json.RawMessage   `json:"types"`
}

func decodeBody(body []byte) (CreateParams, error) {
	var b requestBody
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&b); err != nil {
		return CreateParams{}, twilio.BadRequest("the request body is not a valid Content request: %v", err)
	}
	return CreateParams{FriendlyName: b.FriendlyName, Language: b.Language, Variables: b.Variables, Types: b.Types}, nil
}

// view is a Content resource as Twilio renders it.
type view struct {
	DateCreated  string            `json:"date_created"`
	DateUpdated  string            `json:"date_updated"`
	SID          string            `json:"sid"`
	AccountSID   string            `json:"account_sid"`
	FriendlyName string            `json:"friendly_name"`
	Language     string            `json:"language"`
	Variables    map[string]string `json:"variables"`
	Types        json.RawMessage   `json:"types"`
	URL          string            `json:"url"`
	Links        map[string]string `json:"links"`
}

func render(r *twilio.Request, t *Template) view {
	u := r.URL("/v1/Content/" + t.SID)
	return view{DateCreated: twilio.Time(t.DateCreated), DateUpdated: twilio.Time(t.DateUpdated), SID: t.SID,
		AccountSID: t.AccountSID, FriendlyName: t.FriendlyName, Language: t.Language, Variables: t.Variables,
		Types: t.Types, URL: u,
		Links: map[string]string{"approval_create": u + "/ApprovalRequests/whatsapp", "approval_fetch": u + "/ApprovalRequests"}}
}

func createContent(e *Engine, r *twilio.Request, body []byte) (any, error) {
	p, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	t, err := e.Create(p)
	if err != nil {
		return nil, err
	}
	return render(r, t), nil
}

func updateContent(e *Engine, r *twilio.Request, body []byte) (any, error) {
	p, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	t, err := e.Update(r.Path("Sid"), p)
	if err != nil {
		return nil, err
	}
	return render(r, t), nil
}

func fetchContent(e *Engine, r *twilio.Request, _ []byte) (any, error) {
	t, err := e.Template(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return render(r, t), nil
}

func deleteContent(e *Engine, r *twilio.Request, _ []byte) (any, error) {
	return nil, e.Delete(r.Path("Sid"))
}

func listContent(e *Engine, r *twilio.Request, _ []byte) (any, error) {
	return twilio.Paginate(r, r.URL("/v1/Content"), "contents", e.List(),
		func(t *Template) any { return render(r, t) }, maxPageSize)
}
