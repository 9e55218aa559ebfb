# "eventually include" must fail when the notification never comes, saying how long it waited.
# expect: within 30000 ms (simulated time) the notifications never included:
# expect: expected 1 matches no notification
# expect: 2. updated /communications/calls/
Feature: Must fail - eventually include
  Scenario: A roster is expected from a peer-to-peer call to a phone
    Given a call request from template "v1/p2p-pstn-service-hosted"
    When the bot creates the call
    Then the bot's notifications eventually include:
      | resourceUrl                                   |
      | /communications/calls/${call.id}/participants |
