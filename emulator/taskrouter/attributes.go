package taskrouter

import (
	"encoding/json"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// parseJSONObject is twilio.ParseJSONObject (same limits, same errors, an
// equal map) for attributes the engine keeps for the life of a task or
// worker next to their text: the keys and string values of the map are
// slices of text instead of copies, and every object and array is allocated
// at its final size, which saves about a third of a decoded map's memory.
func parseJSONObject(param, text string) (map[string]any, error) {
	if err := twilio.CheckJSON(param, text, twilio.MaxJSONBytes); err != nil {
		return nil, err
	}
	if !json.Valid([]byte(text)) {
		return nil, twilio.InvalidParam(param, "must be a JSON object")
	}
	v, ok := twilio.DecodeValidJSON(text)
	m, isObject := v.(map[string]any)
	if !ok || !isObject {
		return nil, twilio.InvalidParam(param, "must be a JSON object")
	}
	return m, nil
}
