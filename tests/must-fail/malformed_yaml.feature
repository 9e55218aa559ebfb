# expect: malformed.yaml:7:3: did not find expected
Feature: Must fail - malformed YAML
  Scenario: The template is not valid YAML
    Given a call request from template "malformed"
