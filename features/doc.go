// Package features holds flexemu's own Godog suites (*.feature), run by
// `go test ./features/`; the reusable step definitions are in features/steps.
package features
