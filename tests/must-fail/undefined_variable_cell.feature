# A variable misspelt in a table cell is reported at the cell, with the closest defined name,
# although the cell is only used when the request is sent.
# expect: undefined_variable_cell.feature:13:19: undefined variable "subjct"; did you mean "subject"?
Feature: Must fail - undefined variable in a table cell
  Scenario: The subject variable is misspelt where it is used
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the variables:
      | name    | value |
      | subject | Daily |
    And the request sets:
      | path    | value     |
      | source  | "x"       |
      | subject | ${subjct} |
    When the bot creates the call
