# A step nobody defined fails the scenario (it is not silently skipped).
# expect: Given the bot does a backflip
# expect: 0 passed, 1 failed
Feature: Must fail - unknown step
  Scenario: A step with no definition
    Given the bot does a backflip
