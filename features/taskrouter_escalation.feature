Feature: Timeout escalation to a second queue
  The "Escalation" workflow keeps a task in Tier 1 for 30 seconds, then moves
  it to Tier 2 at priority 10. Callbacks spend 60 seconds in Tier 1 first;
  the "Callbacks" workflow has nothing after that, so its tasks are canceled.

  Background:
    Given the emulator is running with the fixture "routing-rules.yaml"

  Scenario: After 30 seconds unanswered in Tier 1 the task moves to Tier 2
    Given worker "ben" is "Available"
    When task "case" is created in workflow "Escalation" with attributes {"issue": "refund"}
    Then task "case" should be in queue "Tier 1"
    And task "case" should be "pending"
    And task "case" should have priority 0
    And worker "ben" should have no pending reservation
    When 29 seconds pass
    Then task "case" should be in queue "Tier 1"
    When 2 seconds pass
    Then task "case" should be in queue "Tier 2"
    And task "case" should have priority 10
    And task "case" should be "reserved"
    And worker "ben" should have a pending reservation for task "case"

  Scenario: A Tier 1 reservation still pending at the step timeout is canceled
    Given worker "ana" is "Available"
    And worker "ben" is "Available"
    When task "case" is created in workflow "Escalation"
    Then worker "ana" should have a pending reservation for task "case"
    When 31 seconds pass
    Then task "case" should be in queue "Tier 2"
    And task "case" should have a "canceled" reservation for worker "ana"
    And worker "ana" should have no pending reservation
    And worker "ana" should be "Available"
    And worker "ben" should have a pending reservation for task "case"

  Scenario: A task accepted in Tier 1 stays there
    Given worker "ana" is "Available"
    And worker "ben" is "Available"
    When task "case" is created in workflow "Escalation"
    And 10 seconds pass
    And worker "ana" accepts the reservation for task "case"
    And 1 minute passes
    Then task "case" should be "assigned"
    And task "case" should be in queue "Tier 1"
    And worker "ben" should have no pending reservation

  Scenario: When a filter's last target times out the next matching filter takes the task
    Given worker "ben" is "Available"
    When task "call me" is created in workflow "Escalation" with attributes {"type": "callback"}
    Then task "call me" should be in queue "Tier 1"
    When 61 seconds pass
    Then task "call me" should be in queue "Tier 1"
    And task "call me" should be "pending"
    # Escalate's 30 s count from when the task entered that filter (t=60)
    When 28 seconds pass
    Then task "call me" should be in queue "Tier 1"
    When 2 seconds pass
    Then task "call me" should be in queue "Tier 2"
    And worker "ben" should have a pending reservation for task "call me"

  Scenario: A task that outlives its last target falls out of the workflow
    # ben is in the default filter's queue: a task that matched a filter
    # must never reach it
    Given worker "ben" is "Available"
    When task "call me" is created in workflow "Callbacks"
    Then task "call me" should be in queue "Tier 1"
    When 59 seconds pass
    Then task "call me" should be "pending"
    When 2 seconds pass
    Then task "call me" should be canceled with reason "Workflow Timeout"
    And worker "ben" should have no pending reservation

  Scenario: A customer message sent to Flex by Studio escalates the same way
    Given worker "ben" is "Available"
    When a customer sends "hello, anyone there?"
    Then a task should be created in workflow "Escalation"
    And the task should be in queue "Tier 1"
    And the task should have the attribute "channelType" set to "sms"
    When 31 seconds pass
    Then the task should be in queue "Tier 2"
    And the task should have priority 10
    And worker "ben" should have a pending reservation for the task
