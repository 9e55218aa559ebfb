# An edit of the request that cannot apply names the path and what is there.
# expect: bad path "targets[3]"
# expect: no index 3 in targets (the array has 1 items)
Feature: Must fail - removing what the request does not have
  Scenario: A peer-to-peer request has one target, not four
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the request removes "targets[3]"
    When the bot creates the call
    Then the response status is 201
