# A typo in a step is caught before the run, with the closest step of the catalog.
# expect: unknown_step_typo.feature:7:5: no step matches "When the bot creaets the call"; did you mean "When the bot creates the call"?
# expect: 0 passed, 1 failed
Feature: Must fail - a typo in a step
  Scenario: creates, misspelt
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creaets the call
