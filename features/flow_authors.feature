Feature: Flow authors test their own Studio flow
  A team deploys the flow it exported from the Studio console onto an
  address, plays the customer, and checks the path the execution took, a
  widget's outputs, the flow variables and what the customer was sent. The
  flow's make-http-request and run-function widgets are answered by the
  feature itself: no server to write.

  Background:
    Given the emulator is running with the default fixture
    And the flow "testdata/flows/order_status.json" handles "whatsapp:+14155238886"

  Scenario: The order lookup answers and the customer is told the status before reaching an agent
    Given the HTTP widget "lookup_order" answers 200 with JSON:
      """
      {"status": "shipped", "customer": {"tier": "gold"}, "items": [{"sku": "A-1"}]}
      """
    When the customer "whatsapp:+15550001111" sends "hi" to "whatsapp:+14155238886"
    Then the customer should have received "Hi! What is your order number?" from the flow
    And the Studio execution should be "active"
    And the Studio execution should have taken the path "Trigger", "ask_order_number"
    When the customer "whatsapp:+15550001111" sends "12345" to "whatsapp:+14155238886"
    Then the Studio execution should pass through "Trigger", "check_response", "lookup_order", "SendConversationToAgent"
    And the Studio execution should have taken the path "Trigger", "ask_order_number", "check_response", "lookup_order", "remember_order", "tell_status", "SendConversationToAgent"
    And the Studio execution should be "ended"
    And the widget "lookup_order" should have output "status_code" equal to "200"
    And the widget "lookup_order" should have output "parsed.customer.tier" equal to "gold"
    And the widget "lookup_order" should have output "parsed.items[0].sku" equal to "A-1"
    And the widget "ask_order_number" should have output "inbound.Body" equal to "12345"
    And the flow variable "order_number" should be "12345"
    And the flow variable "order_status" should be "shipped"
    And the flow variable "tier" should be "gold"
    And the customer should have received "Order 12345 is shipped. An agent will be with you shortly." from the flow
    And the HTTP widget "lookup_order" should have been called with "order=12345"
    And the HTTP widget "lookup_order" should have been called with "source=studio"
    And the HTTP widget "lookup_order" should have been called with:
      """
      {"order": "12345", "customer": "whatsapp:+15550001111"}
      """
    And the function widget "log_lookup_failure" should not have been called
    And a task should be created in workflow "Assign to Anyone"
    And the task should have the attribute "orderStatus" set to "shipped"
    And the task should have the attribute "tier" set to "gold"
    And worker "alice" should have a pending reservation for the task

  Scenario: The order service fails: the Function logs it and the customer hears so
    Given the HTTP widget "lookup_order" answers 503
    And the function widget "log_lookup_failure" answers 200 with JSON:
      """
      {"logged": true}
      """
    When the customer "whatsapp:+15550002222" sends "hello" to "whatsapp:+14155238886"
    And the customer "whatsapp:+15550002222" sends "54321" to "whatsapp:+14155238886"
    Then the Studio execution should pass through "check_response", "lookup_order", "log_lookup_failure", "lookup_failed", "SendConversationToAgent"
    And the widget "lookup_order" should have output "status_code" equal to "503"
    And the widget "log_lookup_failure" should have output "parsed.logged" equal to "true"
    And the function widget "log_lookup_failure" should have been called with "status=503"
    And the function widget "log_lookup_failure" should have been called with:
      """
      {"order": "54321"}
      """
    And the customer should have received "Sorry, we could not look up order 54321 right now." from the flow
    And a task should be created in workflow "Assign to Anyone"

  Scenario: A widget with no declared answer gets a 404 from the mock and takes its failure path
    When the customer "whatsapp:+15550003333" sends "hello" to "whatsapp:+14155238886"
    And the customer "whatsapp:+15550003333" sends "11111" to "whatsapp:+14155238886"
    Then the Studio execution should pass through "lookup_order", "log_lookup_failure", "lookup_failed"
    And the widget "lookup_order" should have output "status_code" equal to "404"
    And the widget "log_lookup_failure" should have output "status_code" equal to "404"
    And the customer should have received "Sorry, we could not look up order 11111 right now." from the flow

  Scenario: A reply that is not an order number goes straight to an agent
    When the customer "whatsapp:+15550004444" sends "hi" to "whatsapp:+14155238886"
    And the customer "whatsapp:+15550004444" sends "where is my parcel?" to "whatsapp:+14155238886"
    Then the Studio execution should have taken the path "Trigger", "ask_order_number", "check_response", "not_an_order_number", "SendConversationToAgent"
    And the HTTP widget "lookup_order" should not have been called
    And the customer should have received "That does not look like an order number. Let me get you an agent." from the flow
    And the task should have the attribute "channelType" set to "whatsapp"

  Scenario: A flow deployed on a new SMS number, with a placeholder the feature sets
    Given the flow placeholder "WORKFLOW_SID" is "WW0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    And the flow "testdata/flows/order_status.json" handles "+15017120000"
    And the HTTP widget "lookup_order" answers 200 with JSON:
      """
      {"status": "delayed"}
      """
    When the customer "+15550005555" sends "hi" to "+15017120000"
    And the customer "+15550005555" sends "22222" to "+15017120000"
    Then the flow variable "order_status" should be "delayed"
    And the flow variable "tier" should be "standard"
    And the task should have the attribute "channelType" set to "sms"
