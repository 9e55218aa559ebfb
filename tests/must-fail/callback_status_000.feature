# An HTTP status no server can answer is refused at the step, not left to panic the inbox.
# expect: Given the bot's callback answers 000
# expect: the callback cannot answer "000": use an HTTP status from 200 to 599
Feature: Must fail - impossible callback status
  Scenario: The callback answers status 000
    Given the bot's callback answers 000
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
