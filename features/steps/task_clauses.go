package steps

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var createClauses = []*regexp.Regexp{
	regexp.MustCompile(`^in workflow "([^"]+)"`),
	regexp.MustCompile(`^on channel "([^"]+)"`),
	regexp.MustCompile(`^priority (-?\d+)`),
	regexp.MustCompile(`^timeout (\d+)(?: seconds?)?`),
	regexp.MustCompile(`^attributes (.+)$`),
}

// parseTaskClauses reads the tail of a create step: any of `in workflow "W"`,
// `on channel "C"`, `with priority N`, `with timeout N`, `with attributes
// {…}` (last), joined by spaces, "with", "and" or commas.
func parseTaskClauses(spec *taskSpec, tail string) error {
	rest := strings.TrimSpace(tail)
	for rest != "" {
		for _, p := range []string{",", "and ", "with "} {
			rest = strings.TrimSpace(strings.TrimPrefix(rest, p))
		}
		matched := false
		for i, re := range createClauses {
			m := re.FindStringSubmatch(rest)
			if m == nil {
				continue
			}
			switch i {
			case 0:
				spec.workflow = m[1]
			case 1:
				spec.channel = m[1]
			case 2, 3:
				n, err := strconv.Atoi(m[1])
				if err != nil {
					return fmt.Errorf("%q is not a number: %w", m[1], err)
				}
				if i == 2 {
					spec.priority = &n
				} else {
					spec.timeout = &n
				}
			case 4:
				spec.attributes = strings.TrimSpace(m[1])
			}
			rest = strings.TrimSpace(rest[len(m[0]):])
			matched = true
			break
		}
		if !matched {
			return fmt.Errorf(`cannot read %q: expected in workflow "W", on channel "C", with priority N, with timeout N or with attributes {…}`, rest)
		}
	}
	if spec.attributes != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(spec.attributes), &obj); err != nil {
			return fmt.Errorf("task attributes %s are not a JSON object: %w", spec.attributes, err)
		}
	}
	return nil
}
