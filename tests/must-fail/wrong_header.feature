# Header assertions that must fail.
# expect: header Location: expected "
# expect: /beta/communications/calls/
Feature: Must fail - wrong Location header
  Scenario: The Location is expected on the beta path
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response header "Location" is "${graph}/beta/communications/calls/${call.id}"
