# expect: undefined variable "callee_nmae"
# expect: uses-undefined.yaml:10:24
Feature: Must fail - undefined variable
  Scenario: The template uses a variable nobody defines
    Given a call request from template "uses-undefined"
    When the bot creates the call
