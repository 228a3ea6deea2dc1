package features

import (
	"flag"
	"os"
	"testing"

	"github.com/cucumber/godog"
	"github.com/cucumber/godog/colors"
	"github.com/flexemu/flexemu/features/steps"
)

var opts = godog.Options{Format: "progress", Paths: []string{"."}, Output: colors.Colored(os.Stdout), Strict: true}

func init() { godog.BindFlags("godog.", flag.CommandLine, &opts) }

// TestFeatures runs every .feature file here; each scenario is a subtest
// (go test ./features/ -run 'TestFeatures/Name').
func TestFeatures(t *testing.T) {
	o := opts
	o.TestingT = t
	suite := godog.TestSuite{
		Name: "flexemu",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			steps.Register(sc)
			registerBackendSteps(sc)
		},
		Options: &o,
	}
	if suite.Run() != 0 {
		t.Fatal("feature scenarios failed")
	}
}
