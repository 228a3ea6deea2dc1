Feature: A scenario in an account of its own
  Suites sharing one emulator each take a fresh account: its own fixture,
  credentials, tasks and clock, deleted when the scenario ends.

  Scenario: A fresh account routes with its own fixture
    Given the emulator is running with the default fixture
    And a fresh account with the fixture "sales-support.yaml"
    When a customer sends "I want to talk to sales please"
    Then a task should be created in workflow "Sales and Support"
    And the task should be in queue "Sales"
    And worker "bob" should have a pending reservation for the task

  Scenario: A fresh account's reservations time out on its own clock
    Given the emulator is running with the default fixture
    And a fresh account
    When a customer sends "hello"
    Then worker "alice" should have a pending reservation for the task
    When 3 minutes pass
    Then worker "alice" should have no pending reservation
