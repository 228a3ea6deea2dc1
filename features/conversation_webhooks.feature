Feature: Conversations webhooks at every level, pre-events, retries and state timers
  What a customer's backend sees from Conversations, and what it can do back.

  Background:
    Given the emulator is running with the default fixture
    And a webhook receiver is listening

  Scenario: A pre-event webhook that answers 403 blocks the new conversation
    Given the account's pre-event webhook points at the receiver for "onConversationAdd"
    And the receiver answers "onConversationAdd" with 403
    When a customer tries to send "hello"
    Then the message should be refused by the pre-event webhook
    And the receiver should get a validly signed "onConversationAdd" webhook
    And no conversation should exist
    And worker "alice" should have no pending reservation

  Scenario: A pre-event webhook that answers JSON rewrites the message
    Given the account's pre-event webhook points at the receiver for "onMessageAdd"
    And the receiver answers "onMessageAdd" with {"body": "[card number removed]"}
    When a customer sends "hello"
    And a customer sends "my card is 4111 1111 1111 1111"
    Then the last message of the conversation should read "[card number removed]"
    And the conversation should have 2 messages

  Scenario: A failing post-event webhook is retried and routing goes on
    Given the account's post-event webhook points at the receiver for "onMessageAdded"
    And the receiver fails the first 2 "onMessageAdded" deliveries
    When a customer sends "hello"
    Then the delivery log should show 3 attempts of "onMessageAdded" to the receiver, the last answered 200
    And the receiver should have got 3 "onMessageAdded" webhooks
    And worker "alice" should have a pending reservation for the task

  Scenario: The service-level webhook hears the conversation being created
    Given the service's post-event webhook points at the receiver for "onConversationAdded"
    When a customer sends "hello"
    Then the receiver should get a validly signed "onConversationAdded" webhook

  Scenario: Conversation timers make it inactive, then closed, and the customer starts over
    When a customer sends "hello"
    And the conversation has timers of "PT1M" inactive and "PT10M" closed
    And 61 seconds pass
    Then the conversation should be "inactive"
    When a customer sends "still there?"
    Then the conversation should be "active"
    When 11 minutes pass
    Then the conversation should be "closed"
    When a customer sends "hello again"
    Then a new conversation should have been started
