Feature: Transferring a conversation to another agent or queue
  carol (Support) is chatting with a customer and hands the conversation on,
  as Flex UI does through the Interactions API's Transfers endpoint: a new
  task carrying her task's attributes is routed straight to the target queue
  or worker. In a cold transfer she leaves the conversation as soon as the new
  agent joins; in a warm one both agents chat until she completes the
  transfer. Either way her own task goes to wrap-up. bob works Sales.

  Background:
    Given the emulator is running with the fixture "sales-support.yaml"
    When a customer sends "my order is broken, need support"
    Then worker "carol" should have a pending reservation for the task
    When worker "carol" accepts the reservation
    Then "carol" should be a participant of the conversation

  Scenario: Cold transfer to a queue
    When worker "carol" transfers the conversation to queue "Sales"
    Then the transfer should be "active"
    And the task should be in queue "Sales"
    And the task should have the attribute "transferTargetType" set to "queue"
    And the task should have the attribute "transferQueueName" set to "Sales"
    And the task should have the attribute "name" set to "+15558675310"
    And worker "bob" should have a pending reservation for the task
    And "carol" should be a participant of the conversation
    When worker "bob" accepts the reservation
    Then "bob" should be a participant of the conversation
    And "carol" should not be a participant of the conversation
    And the transfer should be "completed"
    And the original task should be "wrapping"
    And the task should be "assigned"
    And the conversation should be "active"
    When "bob" replies "Hi, this is Bob from Sales"
    Then the customer should receive "Hi, this is Bob from Sales"

  Scenario: Warm transfer to a worker
    When worker "carol" warm transfers the conversation to worker "bob"
    Then the task should have the attribute "transferTargetType" set to "worker"
    And worker "bob" should have a pending reservation for the task
    When worker "bob" accepts the reservation
    Then "bob" should be a participant of the conversation
    And "carol" should be a participant of the conversation
    And the transfer should be "active"
    And the original task should be "assigned"
    When "carol" replies "bob, this customer's order is broken"
    And worker "carol" completes the transfer
    Then "carol" should not be a participant of the conversation
    And "bob" should be a participant of the conversation
    And the transfer should be "completed"
    And the original task should be "wrapping"
    And the conversation should be "active"

  Scenario: A warm transfer canceled before anyone accepts it
    When worker "carol" warm transfers the conversation to worker "bob"
    Then worker "bob" should have a pending reservation for the task
    When worker "carol" cancels the transfer
    Then the transfer should be "failed"
    And the task should be "canceled"
    And worker "bob" should have no pending reservation
    And "carol" should be a participant of the conversation
    And the original task should be "assigned"

  Scenario: The invite-based transfer of Flex plugins
    When worker "carol" invites queue "Sales" to the conversation
    Then the task should be in queue "Sales"
    And worker "bob" should have a pending reservation for the task
    When worker "bob" accepts the reservation
    Then "bob" should be a participant of the conversation
    And "carol" should be a participant of the conversation
    When worker "carol" completes the conversation
    Then "carol" should not be a participant of the conversation
    And the original task should be "completed"
    And the conversation should be "active"

  Scenario: A transfer nobody takes fails when its task times out
    Given worker "bob" goes "Offline"
    When worker "carol" transfers the conversation to queue "Sales"
    Then the task should be "pending"
    When 60 minutes pass
    Then the task should be "canceled"
    And the transfer should be "failed"
    And "carol" should be a participant of the conversation
    And the original task should be "assigned"

  Scenario: A cold invite transfer: carol leaves as soon as she has invited the Sales queue
    When worker "carol" invites queue "Sales" to the conversation
    And worker "carol" completes the conversation
    Then "carol" should not be a participant of the conversation
    And the original task should be "completed"
    And the conversation should be "active"
    When worker "bob" accepts the reservation
    Then "bob" should be a participant of the conversation
    When "bob" replies "Sales here, how can I help?"
    Then the customer should receive "Sales here, how can I help?"
