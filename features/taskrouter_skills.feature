Feature: Skills-based routing
  The "Skills" workflow picks a queue from the task's skill; each queue's
  target_workers selects workers by their skills, and the Support target
  narrows the queue with "task.language IN worker.languages".

  Background:
    Given the emulator is running with the fixture "routing-rules.yaml"

  Scenario: A billing task goes to the billing-skilled worker only
    Given worker "chen" is "Available"
    And worker "ana" is "Available"
    When task "invoice" is created in workflow "Skills" with attributes {"skill": "billing"}
    Then task "invoice" should be in queue "Billing"
    And task "invoice" should be "reserved"
    And worker "ana" should have a pending reservation for task "invoice"
    And worker "chen" should have no pending reservation

  Scenario: The target expression picks the worker who speaks the task's language
    # ben would be first (idle longest), but only chen speaks Spanish
    Given worker "ben" is "Available"
    And worker "chen" is "Available"
    When task "ayuda" is created in workflow "Skills" with attributes {"skill": "support", "language": "es"}
    Then task "ayuda" should be in queue "Support"
    And worker "chen" should have a pending reservation for task "ayuda"
    And worker "ben" should have no pending reservation

  Scenario: A task nobody can serve waits until a worker gains the skill
    Given worker "ben" is "Available"
    And worker "chen" is "Available"
    When task "hilfe" is created in workflow "Skills" with attributes {"skill": "support", "language": "de"}
    Then task "hilfe" should be in queue "Support"
    And task "hilfe" should be "pending"
    And worker "ben" should have no pending reservation
    And worker "chen" should have no pending reservation
    When worker "ben" gets the attributes {"contact_uri": "client:ben", "skills": ["billing", "support"], "languages": ["en", "de"], "tier": 2}
    Then worker "ben" should have a pending reservation for task "hilfe"

  Scenario: A worker without the queue's skill is never offered the task
    Given worker "dana" is "Available"
    When task "invoice" is created in workflow "Skills" with attributes {"skill": "billing"}
    Then task "invoice" should be "pending"
    And worker "dana" should have no pending reservation
    When 10 minutes pass
    Then task "invoice" should be "pending"
    And worker "dana" should have no pending reservation

  Scenario: Without a matching filter the default filter's queue takes the task
    Given worker "dana" is "Available"
    When task "misc" is created in workflow "Skills" with attributes {"skill": "gardening"}
    Then task "misc" should be in queue "Everyone"
    And worker "dana" should have a pending reservation for task "misc"

  Scenario: Changing a waiting task's attributes routes it again
    Given worker "chen" is "Available"
    When task "ticket" is created in workflow "Skills" with attributes {"skill": "billing"}
    Then task "ticket" should be in queue "Billing"
    And task "ticket" should be "pending"
    When task "ticket" gets the attributes {"skill": "support", "language": "fr"}
    Then task "ticket" should be in queue "Support"
    And worker "chen" should have a pending reservation for task "ticket"
