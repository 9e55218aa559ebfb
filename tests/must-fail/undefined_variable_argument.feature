# A variable misspelt in a step's quoted argument is reported at the argument, although the
# value is only used when the request is sent.
# expect: undefined_variable_argument.feature:10:46: undefined variable "regoin"; did you mean "region"?
Feature: Must fail - undefined variable in a step's argument
  Scenario: The region variable is misspelt where it is used
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the variables:
      | name   | value |
      | region | emea  |
    And the request sets "source.region" to "${regoin}"
    When the bot creates the call
