# A table row wider than its header (gherkin drops the extra cells).
Feature: Bad input - a table row wider than its header
  Scenario: variables
    Given the variables:
      | name   | value |
      | callee | John  | Jane |
