Feature: Flex Configuration
  Flex apps, plugins and flows (the Aselo system-down subflow) read
  GET /v1/Configuration: the account's Flex workspace, its default workflow
  and queue, the offline activity and the chat service. Admin scripts
  update it with a JSON body holding the account SID and the fields to set.

  Background:
    Given the emulator is running with the default fixture

  Scenario: The configuration names the account's Flex resources
    Then the Flex configuration should name the workspace "Flex Task Assignment", the workflow "Assign to Anyone" and the queue "Everyone"
    And the Flex configuration should name the activity "Offline" as offline
    And the Flex configuration should name the account's Conversations service as its chat service
    And the Flex configuration's "status" should be "ok"

  Scenario: Updating ui_attributes and attributes
    When Flex sets the configuration's "ui_attributes" to {"colorTheme": {"baseName": "FlexDark"}}
    And Flex sets the configuration's "attributes" to {"system_down": true}
    Then the Flex configuration's "ui_attributes.colorTheme.baseName" should be "FlexDark"
    And the Flex configuration's "attributes.system_down" should be true
    And the Flex configuration's "taskrouter_workspace_sid" should be "WS0a1b2c3d4e5f60718293a4b5c6d7e8f9"

  Scenario: Read-only fields and wrong types are refused
    Then setting the configuration's "status" to "inprogress" should be refused
    And setting the configuration's "ui_attributes" to "dark" should be refused
