package steps

import "github.com/cucumber/godog"

// registerFlowAuthorSteps adds the steps for teams that own Studio flows.
func registerFlowAuthorSteps(sc *godog.ScenarioContext) {}
