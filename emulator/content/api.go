package content

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Product is the Content API host and the emulator path prefix serving it.
var Product = twilio.Product{Prefix: "content", Host: "content.twilio.com"}

// maxPageSize bounds list pages.
const maxPageSize = 1000

// Routes is the Content v1 route table. Twilio's Content API takes JSON
// bodies (not the form encoding of the other products): its writes are
// JSON routes, and a body in any other encoding is refused (jsonBody).
func Routes() []twilio.Route[*Engine] {
	const (
		list = "/v1/Content"
		item = list + "/{Sid}"
	)
	return []twilio.Route[*Engine]{
		{Method: http.MethodGet, Path: list, Handle: listContent},
		{Method: http.MethodPost, Path: list, Status: http.StatusCreated, JSON: true, Handle: createContent},
		{Method: http.MethodGet, Path: item, Handle: fetchContent},
		{Method: http.MethodPut, Path: item, JSON: true, Handle: updateContent},
		{Method: http.MethodDelete, Path: item, Status: http.StatusNoContent, Handle: deleteContent},
	}
}

// Mount registers the Content v1 routes on mux (what the server does for
// every product; tests mount one product alone).
func Mount(mux *http.ServeMux, bind twilio.Binder[*Engine]) {
	twilio.Mount(mux, Product, bind, Routes())
}

// jsonBody is a write's JSON body: a body in another encoding is 415, none
// at all 400.
func jsonBody(r *twilio.Request) ([]byte, error) {
	if ct := r.Header("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return nil, twilio.NewError(http.StatusUnsupportedMediaType, twilio.CodeInvalidParameter,
				"Content-Type %q is not supported; the Content API takes application/json", mt)
		}
	}
	if len(bytes.TrimSpace(r.JSON)) == 0 {
		return nil, twilio.BadRequest("the request body must be a JSON object")
	}
	return r.JSON, nil
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

func createContent(e *Engine, r *twilio.Request) (any, error) {
	body, err := jsonBody(r)
	if err != nil {
		return nil, err
	}
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

func updateContent(e *Engine, r *twilio.Request) (any, error) {
	body, err := jsonBody(r)
	if err != nil {
		return nil, err
	}
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

func fetchContent(e *Engine, r *twilio.Request) (any, error) {
	t, err := e.Template(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return render(r, t), nil
}

func deleteContent(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.Delete(r.Path("Sid"))
}

func listContent(e *Engine, r *twilio.Request) (any, error) {
	return twilio.Paginate(r, r.URL("/v1/Content"), "contents", e.List(),
		func(t *Template) any { return render(r, t) }, maxPageSize)
}
