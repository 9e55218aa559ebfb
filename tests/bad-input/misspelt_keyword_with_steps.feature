# The same typo with steps under it: gherkin stops at the step; the message points at the typo.
Feature: Bad input - a misspelt keyword before steps
  Scenario: fine
    Given a call request from template "v1/p2p-voip-service-hosted"

  Senario: lost to a typo
    Given a call request from template "v1/p2p-voip-service-hosted"
