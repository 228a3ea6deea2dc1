Feature: Fault injection
  A team checks what its code does when Twilio misbehaves: an API call
  answered with a Twilio error (throttled with 20429, say), a webhook
  target that times out, fails or is slow. Faults are declared through the
  control API (these steps use it), hold for the next N calls or until
  removed, and every one that strikes is on the timeline, in the chain of
  what it struck.

  Background:
    Given the emulator is running with the default fixture

  Scenario: Task creation is throttled once; the backend retries and the task routes
    Given the TaskRouter API answers POST "/v1/Workspaces/*/Tasks" with Twilio error 20429 and status 429 for the next call
    When the backend creates a task in workflow "Assign to Anyone" on channel "chat", retrying on Twilio error 20429
    Then the workspace should have 1 task
    And worker "alice" should have a pending reservation for the task
    And the timeline should show 1 injected fault on POST "/v1/Workspaces/*/Tasks" with Twilio error 20429

  Scenario: Task creation is throttled twice, each answer after a real delay; the third try creates the task
    Given the TaskRouter API answers POST "/v1/Workspaces/*/Tasks" with Twilio error 20429 and status 429 after 0.1 seconds for the next 2 calls
    When the backend creates a task in workflow "Assign to Anyone" on channel "chat", retrying on Twilio error 20429
    Then the workspace should have 1 task
    And the timeline should show 2 injected faults on POST "/v1/Workspaces/*/Tasks" with Twilio error 20429

  Scenario: A slow TaskRouter delays task creation but the task still routes
    Given the TaskRouter API delays POST "/v1/Workspaces/*/Tasks" by 0.2 seconds for the next call
    When the backend creates a task in workflow "Assign to Anyone" on channel "chat", retrying on Twilio error 20429
    Then worker "alice" should have a pending reservation for the task

  Scenario: The order lookup times out: the HTTP widget takes its failed transition and the conversation still reaches an agent
    Given the flow "testdata/flows/order_status.json" handles "whatsapp:+14155238886"
    And webhooks to the HTTP widget "lookup_order" time out
    And the function widget "log_lookup_failure" answers 200 with JSON:
      """
      {"logged": true}
      """
    When the customer "whatsapp:+15550005555" sends "hello" to "whatsapp:+14155238886"
    And the customer "whatsapp:+15550005555" sends "67890" to "whatsapp:+14155238886"
    Then the Studio execution should pass through "check_response", "lookup_order", "log_lookup_failure", "lookup_failed", "SendConversationToAgent"
    And the HTTP widget "lookup_order" should not have been called
    And the customer should have received "Sorry, we could not look up order 67890 right now." from the flow
    And a task should be created in workflow "Assign to Anyone"
    And worker "alice" should have a pending reservation for the task
    And the timeline should show 1 injected timeout on webhooks to the HTTP widget "lookup_order"

  Scenario: The backend's onMessageAdded times out: no interaction, no task, and the timeline says why
    Given a webhook receiver is listening
    And the address "whatsapp:+14155238886" auto-creates conversations with a webhook to the receiver
    And a backend that sends each new conversation to Flex with workflow "Assign to Anyone"
    And webhooks to the receiver time out
    When a customer sends "hello?" to "whatsapp:+14155238886"
    Then the receiver should have got 0 "onMessageAdded" webhooks
    And the workspace should have 0 tasks
    And the timeline should show an injected timeout on webhooks to the receiver

  Scenario: The backend fails twice; the retries reach it and the conversation becomes a task
    Given a webhook receiver is listening
    And the address "whatsapp:+14155238886" auto-creates conversations with a webhook to the receiver
    And a backend that sends each new conversation to Flex with workflow "Assign to Anyone"
    And webhooks to the receiver fail with status 503 for the next 2 deliveries
    When a customer sends "hello, again" to "whatsapp:+14155238886"
    Then the receiver should have got 1 "onMessageAdded" webhook
    And a task should be created in workflow "Assign to Anyone"
    And the timeline should show 2 injected failures on webhooks to the receiver

  Scenario: A pre-event that times out drops the message, as Twilio drops it
    Given the account's pre-event webhook points at the receiver for "onConversationAdd"
    And webhooks to the receiver time out for the next delivery
    When a customer tries to send "hello?"
    Then the message should be refused by the pre-event webhook
    And no conversation should exist
    And the receiver should have got 0 "onConversationAdd" webhooks
    And the timeline should show 1 injected timeout on webhooks to the receiver
