# expect: template "v1/p2p-voip-service-hostd" not found
# expect: did you mean "v1/p2p-voip-service-hosted"
Feature: Must fail - unknown template
  Scenario: A typo in the template name
    Given a call request from template "v1/p2p-voip-service-hostd"
