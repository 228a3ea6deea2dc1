Feature: Worker capacity per channel
  dana has chat capacity 2 (multitasking workspace): she is offered two chats
  at once; a third waits until one of hers is completed.

  Background:
    Given the emulator is running with the fixture "routing-rules.yaml"
    And worker "dana" is "Available"

  Scenario: Two chats at once, the third waits for a free slot
    Given these tasks are created in workflow "Everyone" on channel "chat":
      | name   | attributes            |
      | chat 1 | {"customer": "c1"}    |
      | chat 2 | {"customer": "c2"}    |
      | chat 3 | {"customer": "c3"}    |
    Then worker "dana" should have 2 pending reservations
    And worker "dana" should have a pending reservation for task "chat 1"
    And worker "dana" should have a pending reservation for task "chat 2"
    And task "chat 3" should be "pending"
    When worker "dana" accepts the reservation for task "chat 1"
    And worker "dana" accepts the reservation for task "chat 2"
    Then worker "dana" should have 2 assigned "chat" tasks
    And task "chat 3" should be "pending"
    When worker "dana" completes task "chat 1"
    Then worker "dana" should have 1 assigned "chat" task
    And worker "dana" should have a pending reservation for task "chat 3"

  Scenario: Capacity is per channel: a full chat channel does not block the default channel
    Given these tasks are created in workflow "Everyone" on channel "chat":
      | name   |
      | chat 1 |
      | chat 2 |
    When task "email" is created in workflow "Everyone"
    Then worker "dana" should have 3 pending reservations
    And worker "dana" should have a pending reservation for task "email"

  Scenario: A worker with capacity 1 takes one chat and the next goes to someone else
    Given worker "ana" is "Available"
    When task "chat 1" is created in workflow "Everyone" on channel "chat"
    And task "chat 2" is created in workflow "Everyone" on channel "chat"
    Then worker "ana" should have 1 pending reservation
    And worker "dana" should have 1 pending reservation

  Scenario: Raising a worker's capacity offers her the waiting task at once
    Given these tasks are created in workflow "Everyone" on channel "chat":
      | name   |
      | chat 1 |
      | chat 2 |
      | chat 3 |
    Then task "chat 3" should be "pending"
    When worker "dana" gets capacity 3 on channel "chat"
    Then worker "dana" should have a pending reservation for task "chat 3"

  Scenario: A wrapping task keeps its slot until it is completed
    Given worker "dana" gets capacity 1 on channel "chat"
    And these tasks are created in workflow "Everyone" on channel "chat":
      | name   |
      | chat 1 |
      | chat 2 |
    When worker "dana" accepts the reservation for task "chat 1"
    And task "chat 1" is updated to "wrapping"
    Then task "chat 1" should have a "wrapping" reservation for worker "dana"
    And task "chat 2" should be "pending"
    When task "chat 1" is updated to "completed"
    Then task "chat 1" should have a "completed" reservation for worker "dana"
    And worker "dana" should have a pending reservation for task "chat 2"

  Scenario: Canceling a reserved task frees the worker for the next one
    Given worker "dana" gets capacity 1 on channel "chat"
    And these tasks are created in workflow "Everyone" on channel "chat":
      | name   |
      | chat 1 |
      | chat 2 |
    When task "chat 1" is updated to "canceled" with reason "customer left"
    Then task "chat 1" should be canceled with reason "customer left"
    And task "chat 1" should have a "canceled" reservation for worker "dana"
    And worker "dana" should have a pending reservation for task "chat 2"
