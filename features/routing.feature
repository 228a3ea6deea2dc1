Feature: A Studio flow that splits on the message body
  The "Sales or Support" flow sends messages mentioning sales to the Sales
  queue (bob) and everything else to Support (carol).

  Background:
    Given the emulator is running with the fixture "sales-support.yaml"

  Scenario: "sales" goes to the Sales queue
    When a customer sends "I want to talk to sales please"
    Then a task should be created in workflow "Sales and Support"
    And the task should be in queue "Sales"
    And the task should have the attribute "queue" set to "sales"
    And worker "bob" should have a pending reservation for the task
    And worker "carol" should have no pending reservation

  Scenario: anything else goes to Support
    When a customer sends "my order is broken, need support"
    Then the task should be in queue "Support"
    And the task should have the attribute "queue" set to "support"
    And worker "carol" should have a pending reservation for the task
    And worker "bob" should have no pending reservation
