Feature: Routing to a known worker
  The "Preferred Agent" workflow first offers the task only to the worker the
  task names (by friendly name in "preferred_agent", by SID in "agent_sid"),
  and after 20 seconds to anyone.

  Background:
    Given the emulator is running with the fixture "routing-rules.yaml"
    And worker "ana" is "Available"

  Scenario: The preferred agent gets the task although another worker is idle longer
    Given worker "ben" is "Available"
    When task "follow-up" is created in workflow "Preferred Agent" with attributes {"preferred_agent": "ben"}
    Then worker "ben" should have a pending reservation for task "follow-up"
    And worker "ana" should have no pending reservation

  Scenario: The known worker SID in a task attribute picks that worker
    Given worker "ben" is "Available"
    When task "follow-up" is created in workflow "Preferred Agent" with attributes {"agent_sid": "WKb0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"}
    Then worker "ben" should have a pending reservation for task "follow-up"
    And worker "ana" should have no pending reservation

  Scenario: When the preferred agent is away the task goes to anyone after the step timeout
    When task "follow-up" is created in workflow "Preferred Agent" with attributes {"preferred_agent": "ben"}
    Then task "follow-up" should be "pending"
    And worker "ana" should have no pending reservation
    When 19 seconds pass
    Then worker "ana" should have no pending reservation
    When 2 seconds pass
    Then worker "ana" should have a pending reservation for task "follow-up"

  Scenario: The preferred agent who comes back in time still gets the task
    When task "follow-up" is created in workflow "Preferred Agent" with attributes {"preferred_agent": "ben"}
    And 10 seconds pass
    And worker "ben" becomes "Available"
    Then worker "ben" should have a pending reservation for task "follow-up"
    And worker "ana" should have no pending reservation
