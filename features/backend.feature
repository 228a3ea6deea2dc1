Feature: The example backend from the setup doc
  examples/backend receives onMessageAdded for an address with webhook
  auto-creation, checks X-Twilio-Signature and creates a Flex Interaction
  with twilio-go, exactly as it would against Twilio.

  Background:
    Given the emulator is running with the default fixture
    And the example backend handles the address "whatsapp:+14155238886" and sends conversations to workflow "Assign to Anyone"

  Scenario: A new conversation becomes a task for alice
    When a customer sends "hello, backend" to "whatsapp:+14155238886"
    Then a task should be created in workflow "Assign to Anyone"
    And the task should have the attribute "from" set to "whatsapp:+15558675310"
    And the task should have the attribute "channelType" set to "whatsapp"
    And worker "alice" should have a pending reservation for the task

  Scenario: Later messages in the conversation do not create more tasks
    When a customer sends "hello, backend" to "whatsapp:+14155238886"
    And a customer sends "are you there?" to "whatsapp:+14155238886"
    Then the workspace should have 1 task
    And the conversation should have 2 messages

  Scenario: A forged request is refused
    When someone posts a forged onMessageAdded to the backend
    Then the backend answers 403
    And the workspace should have 0 tasks
