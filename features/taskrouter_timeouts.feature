Feature: Reservation timeout and task TTL
  The "Everyone" workflow's reservations time out after 20 seconds: the worker
  moves to the workspace's timeout activity ("Unavailable" in this fixture)
  and the task goes to another worker. A task nobody takes within its
  Timeout is canceled.

  Background:
    Given the emulator is running with the fixture "routing-rules.yaml"
    And worker "ana" is "Available"

  Scenario: An unanswered reservation times out and the task goes to another worker
    When task "t" is created in workflow "Everyone"
    Then worker "ana" should have a pending reservation for task "t"
    When worker "ben" becomes "Available"
    And 19 seconds pass
    Then worker "ana" should have a pending reservation for task "t"
    When 2 seconds pass
    Then task "t" should have a "timeout" reservation for worker "ana"
    And worker "ana" should be "Unavailable"
    And worker "ben" should have a pending reservation for task "t"
    And worker "ana" should not be able to accept the reservation for task "t"

  Scenario: When every reservation times out the task waits, pending
    When task "t" is created in workflow "Everyone"
    And 21 seconds pass
    Then worker "ana" should be "Unavailable"
    And task "t" should be "pending"
    And worker "ana" should have no pending reservation

  Scenario: A reservation accepted before the timeout stays accepted
    When task "t" is created in workflow "Everyone"
    And 15 seconds pass
    And worker "ana" accepts the reservation for task "t"
    And 1 minute passes
    Then task "t" should be "assigned"
    And task "t" should have a "accepted" reservation for worker "ana"
    And worker "ana" should be "Available"

  Scenario: A task not assigned within its TTL is canceled
    Given worker "ana" is "Offline"
    When task "short" is created in workflow "Everyone" with timeout 60
    And 59 seconds pass
    Then task "short" should be "pending"
    When 2 seconds pass
    Then task "short" should be canceled with reason "Task TTL Exceeded"
    When worker "ana" becomes "Available"
    Then worker "ana" should have no pending reservation

  Scenario: A reserved task whose TTL runs out is canceled with its reservation
    When task "short" is created in workflow "Escalation" with timeout 10
    Then worker "ana" should have a pending reservation for task "short"
    When 11 seconds pass
    Then task "short" should be canceled with reason "Task TTL Exceeded"
    And task "short" should have a "canceled" reservation for worker "ana"
    And worker "ana" should be "Available"
