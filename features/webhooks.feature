Feature: Addresses with webhook auto-creation call the customer's backend
  The setup doc's other path: the address auto-creates conversations with a
  webhook to the customer's own backend, which receives a signed
  onMessageAdded and creates a Flex Interaction itself.

  Background:
    Given the emulator is running with the default fixture
    And a webhook receiver is listening
    And the address "whatsapp:+14155238886" auto-creates conversations with a webhook to the receiver

  Scenario: The backend receives a signed onMessageAdded
    When a customer sends "hello from whatsapp" to "whatsapp:+14155238886"
    Then the receiver should get a validly signed "onMessageAdded" webhook for the message "hello from whatsapp"
    And the receiver should get a validly signed "onParticipantAdded" webhook

  Scenario: The backend creates an Interaction and alice gets the task
    Given a backend that sends each new conversation to Flex with workflow "Assign to Anyone"
    When a customer sends "hello from whatsapp" to "whatsapp:+14155238886"
    Then the receiver should get a validly signed "onMessageAdded" webhook for the message "hello from whatsapp"
    And a task should be created in workflow "Assign to Anyone"
    And the task should have the attribute "from" set to "whatsapp:+15558675310"
    And worker "alice" should have a pending reservation for the task

  Scenario: The account-level webhook hears the conversation being created
    Given the account's post-event webhook points at the receiver for "onConversationAdded,onMessageAdded"
    When a customer sends "hi there" to "whatsapp:+14155238886"
    Then the receiver should get a validly signed "onConversationAdded" webhook
    And the receiver should get a validly signed "onMessageAdded" webhook for the message "hi there"
