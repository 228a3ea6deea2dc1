Feature: An agent works from a real agent desktop
  alice signs in with the unmodified agent SDKs — twilio-taskrouter for her
  worker and @twilio/conversations for her chats (examples/agentsdk/desktop.js
  in Node) — while the customer writes through the control API. What she does
  in the desktop lands in the same TaskRouter and Conversations state that the
  control-API and REST steps check. Skipped without node and npm ci in
  examples/agentsdk, unless FLEXEMU_REQUIRE_NODE=1.

  Background:
    Given the emulator is running with the default fixture

  Scenario: alice takes a chat in the agent desktop, answers the customer and completes the task
    Given alice is signed in to the agent desktop
    When alice sets her activity to "Available" in the agent desktop
    And a customer sends "hello"
    Then alice's agent desktop receives a reservation
    And worker "alice" should have a pending reservation for the task
    When alice accepts the reservation in the agent desktop
    Then the task should be "assigned"
    And "alice" should be a participant of the conversation
    And alice's agent desktop shows the conversation with "hello"
    When a customer sends "are you there?"
    Then alice's agent desktop receives the message "are you there?"
    When alice replies "Hi, this is Alice. How can I help?" from the agent desktop
    Then the customer should receive "Hi, this is Alice. How can I help?"
    When alice wraps up the task in the agent desktop
    Then the task should be "wrapping"
    When alice completes the task in the agent desktop
    Then the task should be "completed"

  Scenario: An activity changed through the REST API shows in the agent desktop
    Given alice is signed in to the agent desktop
    When worker "alice" becomes "Break"
    Then alice's agent desktop shows her activity as "Break"
    When alice sets her activity to "Available" in the agent desktop
    Then worker "alice" should be "Available"

  Scenario: A reservation rejected in the agent desktop goes back to the queue
    Given alice is signed in to the agent desktop
    When a customer sends "hello"
    Then alice's agent desktop receives a reservation
    When alice rejects the reservation in the agent desktop
    Then worker "alice" should have no pending reservation
    And the task should be "pending"

  Scenario: The Conversations SDK line Flex UI 2.x bundles (2.5.0) works the same
    Given alice is signed in to the agent desktop with conversations 2
    When a customer sends "hello"
    Then alice's agent desktop receives a reservation
    When alice accepts the reservation in the agent desktop
    Then alice's agent desktop shows the conversation with "hello"
    When alice replies "Hello from a Flex UI 2.x desktop" from the agent desktop
    Then the customer should receive "Hello from a Flex UI 2.x desktop"
