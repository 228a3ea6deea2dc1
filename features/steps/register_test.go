package steps

import (
	"io"
	"testing"

	"github.com/cucumber/godog"
)

// Register is itself a ScenarioInitializer.
var _ func(*godog.ScenarioContext) = Register

// TestConfigureRunsAScenario runs a feature through Configure, as a user's
// suite would: the first step starts the emulator from the configured
// fixture, without an "emulator is running" step.
func TestConfigureRunsAScenario(t *testing.T) {
	const feature = `Feature: configured
  Scenario: sales
    When a customer sends "I want to talk to sales please"
    Then a task should be created in workflow "Sales and Support"
    And the task should be in queue "Sales"
    And worker "bob" should have a pending reservation for the task
`
	suite := godog.TestSuite{
		Name:                "configure",
		ScenarioInitializer: Configure(WithFixture("sales-support.yaml")),
		Options: &godog.Options{Format: "progress", Output: io.Discard, Strict: true, TestingT: t,
			FeatureContents: []godog.Feature{{Name: "configured.feature", Contents: []byte(feature)}}},
	}
	if suite.Run() != 0 {
		t.Fatal("the configured scenario failed")
	}
}
