Feature: Rejecting a reservation re-routes the task
  A rejected task goes back to its workflow and on to the next eligible
  worker; rejecting with an activity moves the worker too.

  Background:
    Given the emulator is running with the fixture "routing-rules.yaml"
    And worker "ana" is "Available"

  Scenario: A rejected task goes to the next worker
    When task "t" is created in workflow "Everyone"
    Then worker "ana" should have a pending reservation for task "t"
    When worker "ben" becomes "Available"
    Then worker "ben" should have no pending reservation
    When worker "ana" rejects the reservation for task "t"
    Then task "t" should have a "rejected" reservation for worker "ana"
    And worker "ben" should have a pending reservation for task "t"
    And task "t" should be "reserved"
    And worker "ana" should be "Available"

  Scenario: Rejecting with an activity moves the worker and the task waits for the next one
    When task "t" is created in workflow "Everyone"
    And worker "ana" rejects the reservation for task "t" and goes "Break"
    Then worker "ana" should be "Break"
    And task "t" should be "pending"
    And worker "ana" should have no pending reservation
    When worker "ben" becomes "Available"
    Then worker "ben" should have a pending reservation for task "t"

  Scenario: A task rejected by everyone comes back to a worker who returns
    When task "t" is created in workflow "Everyone"
    And worker "ben" becomes "Available"
    And worker "ana" rejects the reservation for task "t" and goes "Break"
    Then worker "ben" should have a pending reservation for task "t"
    When worker "ben" rejects the reservation for task "t" and goes "Break"
    Then task "t" should be "pending"
    And task "t" should have a "rejected" reservation for worker "ben"
    When worker "ana" becomes "Available"
    Then worker "ana" should have a pending reservation for task "t"

  Scenario: A rejected reservation cannot be accepted afterwards
    When task "t" is created in workflow "Everyone"
    And worker "ana" rejects the reservation for task "t" and goes "Break"
    Then worker "ana" should not be able to accept the reservation for task "t"
    And task "t" should be "pending"

  Scenario: A worker who rejects and stays available is offered the task again in the next cycle
    When task "t" is created in workflow "Everyone"
    And worker "ana" rejects the reservation for task "t"
    Then task "t" should be "pending"
    When 1 second passes
    Then worker "ana" should have a pending reservation for task "t"
