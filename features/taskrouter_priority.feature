Feature: Task priority and age
  A worker who frees up gets the waiting task with the highest priority,
  and among equal priorities the oldest.

  Background:
    Given the emulator is running with the fixture "routing-rules.yaml"

  Scenario: A higher-priority task waiting behind lower ones is reserved first when a worker frees up
    Given worker "ana" is "Available"
    And task "current" is created in workflow "Everyone"
    And worker "ana" accepts the reservation for task "current"
    When these tasks are created in workflow "Everyone":
      | name   | priority | attributes         |
      | first  | 1        | {"ticket": "T-1"}  |
      | second | 1        | {"ticket": "T-2"}  |
      | urgent | 10       | {"ticket": "T-3"}  |
    Then task "first" should be "pending"
    And task "urgent" should be "pending"
    And task "urgent" should have priority 10
    And worker "ana" should have 0 pending reservations
    When worker "ana" completes task "current"
    Then worker "ana" should have a pending reservation for task "urgent"
    And worker "ana" should have 1 pending reservation
    And task "first" should be "pending"
    And task "second" should be "pending"

  Scenario: Among equal priorities the oldest task goes first
    When task "first" is created in workflow "Everyone" with priority 1
    And 5 seconds pass
    And task "second" is created in workflow "Everyone" with priority 1
    And 5 seconds pass
    And task "urgent" is created in workflow "Everyone" with priority 10
    And worker "ana" becomes "Available"
    And worker "ana" accepts the reservation for task "urgent"
    Then task "urgent" should be "assigned"
    And worker "ana" should have 0 pending reservations
    When worker "ana" completes task "urgent"
    Then task "urgent" should be "completed"
    And worker "ana" should have a pending reservation for task "first"
    And task "second" should be "pending"

  Scenario: A task created later with a higher priority overtakes the queue
    When task "old" is created in workflow "Everyone" with priority 0
    And 1 minute passes
    And task "vip" is created in workflow "Everyone" with priority 5
    And worker "dana" becomes "Available"
    Then worker "dana" should have a pending reservation for task "vip"
    And task "old" should be "pending"
