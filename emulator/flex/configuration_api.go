package flex

import (
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// configurationRoutes are the Flex Configuration routes: GET renders the
// resource; POST takes a JSON body (as Twilio's docs show: the account SID
// and the fields to change) and answers the updated resource.
func configurationRoutes() []twilio.Route[*Engine] {
	const path = "/v1/Configuration"
	return []twilio.Route[*Engine]{
		{Method: http.MethodGet, Path: path, Handle: fetchConfiguration},
		{Method: http.MethodPost, Path: path, JSON: true, Handle: updateConfiguration},
	}
}

func fetchConfiguration(e *Engine, r *twilio.Request) (any, error) {
	return e.Configuration(r.URL("/v1/Configuration")), nil
}

func updateConfiguration(e *Engine, r *twilio.Request) (any, error) {
	body, err := parseConfigurationBody(r.JSON)
	if err != nil {
		return nil, err
	}
	if err := e.UpdateConfiguration(body); err != nil {
		return nil, err
	}
	return e.Configuration(r.URL("/v1/Configuration")), nil
}
