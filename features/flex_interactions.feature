Feature: Interactions created by Flex
  Flex creates an interaction itself for an agent-initiated outbound message
  or a "route to" plugin: the channel lists the customer's participants[]
  (Flex opens the conversation, no media_channel_sid) and routing.properties
  names a worker or a queue, which TaskRouter routes the task to directly.
  In this account the workflow sends everything to Support (carol), so bob
  getting the task shows it bypassed the workflow's filters.

  Background:
    Given the emulator is running with the fixture "sales-support.yaml"

  Scenario: An outbound SMS routed straight to a worker
    When Flex creates an outbound "sms" interaction from "+15017122661" to "+15551230001" routed to worker "bob"
    Then the conversation should have the customer "+15551230001" on "+15017122661"
    And the task should target worker "bob"
    And the task should have the attribute "customerAddress" set to "+15551230001"
    And the task should have the attribute "direction" set to "outbound"
    And worker "bob" should have a pending reservation for the task
    And worker "carol" should have no pending reservation

  Scenario: The worker accepts and joins the conversation Flex opened
    When Flex creates an outbound "sms" interaction from "+15017122661" to "+15551230002" routed to worker "bob"
    And worker "bob" accepts the reservation
    Then the task should be "assigned"
    And "bob" should be a participant of the conversation

  Scenario: An interaction routed straight to a queue
    When Flex creates an outbound "sms" interaction from "+15017122661" to "+15551230003" routed to queue "Sales"
    Then the task should be in queue "Sales"
    And worker "bob" should have a pending reservation for the task
    And worker "carol" should have no pending reservation
