# broken: none
# The spec is wrong, not the bot: it waits for a lookup of another number. The failure lists
# what the CRM did receive, the stub that answered it, and the request no stub matched.
# expect: And the bot asked the CRM for "GET /customers/+14255550124" within 2 seconds
# expect: the bot did not ask the CRM for GET /customers/+14255550124 within 2.0 s
# expect: GET /customers/+14255550123 → 404 (no stub matched)
# expect: 1 request(s) no stub matched (answered 404)
# expect: (no stub of the CRM is GET /customers/+14255550124)
@bot
Feature: A spec that waits for the wrong lookup

  Scenario: The bot looks up the caller, not the number the spec names
    Given the CRM answers "GET /customers/+14255550199" with 404
    When "+14255550123" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot asked the CRM for "GET /customers/+14255550124" within 2 seconds
