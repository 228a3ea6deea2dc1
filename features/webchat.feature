Feature: A webchat customer reaches an agent through Flex webchat
  A website's webchat starts a chat with POST /v2/WebChats on the Flex
  webchat address (a Conversations address of type chat): Flex creates the
  conversation, the customer's chat participant and the pre-engagement data
  in the conversation's attributes, and attaches the address's Studio flow.
  The customer's first message runs the flow, which sends the conversation
  to Flex with the customer's name from the pre-engagement form.

  Background:
    Given the emulator is running with the fixture "testdata/webchat.yaml"

  Scenario: The pre-engagement data reaches the task
    When a webchat customer "Ana" starts a chat with pre-engagement data {"friendlyName": "Ana", "email": "ana@example.com"}
    Then the conversation's attribute "pre_engagement_data.friendlyName" should be "Ana"
    And the webchat customer should be a participant of the conversation
    When the webchat customer sends "I need help with my order"
    Then a task should be created in workflow "Assign to Anyone"
    And the task should have the attribute "from" set to "Ana"
    And the task should have the attribute "email" set to "ana@example.com"
    And the task should have the attribute "channelType" set to "web"
    And worker "alice" should have a pending reservation for the task

  Scenario: alice accepts and chats with the webchat customer
    When a webchat customer "Ana" starts a chat on "flexemu-webchat" with pre-engagement data {"friendlyName": "Ana"}
    And the webchat customer sends "hello"
    And worker "alice" accepts the reservation
    Then "alice" should be a participant of the conversation
    When "alice" replies "Hi Ana, how can I help?"
    Then the conversation should have 2 messages

  Scenario: send --channel webchat starts the chat and continues it
    When a webchat customer sends "hello from the widget" through the emulator with pre-engagement data {"friendlyName": "Bea"}
    Then a new conversation should have been started
    And the conversation's attribute "pre_engagement_data.friendlyName" should be "Bea"
    And the task should have the attribute "from" set to "Bea"
    And worker "alice" should have a pending reservation for the task
    When the webchat customer "webchat-ana" sends "are you there?" through the emulator
    Then the conversation should have 2 messages

  Scenario: Only a webchat address starts a webchat
    Then starting a webchat on "whatsapp:+14155238886" should be refused

  Scenario: Channel messages with no address still go to the first messaging address
    When a customer sends "hello"
    Then the task should have the attribute "channelType" set to "whatsapp"
