Feature: An inbound customer message reaches an agent
  A customer writes to the Flex WhatsApp address; the default "Messaging Flow"
  sends the conversation to Flex, and TaskRouter offers it to alice.

  Background:
    Given the emulator is running with the default fixture

  Scenario: A message reaches alice as a pending reservation
    When a customer sends "hello"
    Then a task should be created in workflow "Assign to Anyone"
    And the task should be in queue "Everyone"
    And the task should be "reserved"
    And the task should have the attribute "channelType" set to "whatsapp"
    And worker "alice" should have a pending reservation for the task

  Scenario: Accepting the reservation assigns the task and alice joins the conversation
    When a customer sends "hello"
    And worker "alice" accepts the reservation
    Then the task should be "assigned"
    And "alice" should be a participant of the conversation

  Scenario: With no available worker the task waits, then goes to the worker who becomes available
    Given worker "alice" is "Offline"
    When a customer sends "hello"
    Then the task should be "pending"
    And worker "alice" should have no pending reservation
    When worker "alice" becomes "Available"
    Then worker "alice" should have a pending reservation for the task
    And the task should be "reserved"

  Scenario: A reservation nobody answers times out and alice goes offline
    When a customer sends "hello"
    And 121 seconds pass
    Then worker "alice" should have no pending reservation
    And the task should be "pending"

  Scenario: A second message from the same customer stays in the same conversation
    When a customer sends "hello"
    And a customer sends "are you there?"
    Then the conversation should have 2 messages

  Scenario: alice answers from Flex and the customer receives it on WhatsApp
    Given a webhook receiver is listening
    And the account's post-event webhook points at the receiver for "onMessageAdded"
    When a customer sends "hello"
    And worker "alice" accepts the reservation
    And "alice" replies "Hi! How can I help?"
    Then the customer should receive "Hi! How can I help?"
    And the receiver should get a validly signed "onMessageAdded" webhook for the message "Hi! How can I help?"
    And the conversation should have 2 messages

  Scenario: alice ends the chat from Flex: wrap-up, then complete
    When a customer sends "hello"
    And worker "alice" accepts the reservation
    And worker "alice" wraps up the conversation
    Then the task should be "wrapping"
    And "alice" should not be a participant of the conversation
    And the conversation should be "closed"
    When worker "alice" completes the conversation
    Then the task should be "completed"
