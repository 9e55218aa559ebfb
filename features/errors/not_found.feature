@errors @mock-only
Feature: Calls and resources that are not there
  GET and DELETE of a call Graph does not know, or of one that has ended, answer 404 with code
  8522 "Call not found.". A path outside the calling API answers 400 BadRequest "Resource not
  found for the segment ...".

  Rule: an unknown or ended call is not found

    Scenario Outline: GET of an unknown call on <path>
      When the bot gets "<path>"
      Then the response is the Graph error 404 "8522"
      And the response error message is "Call not found."

      Examples:
        | path                                                                    |
        | /v1.0/communications/calls/00000000-0000-0000-0000-000000000000         |
        | /beta/communications/calls/00000000-0000-0000-0000-000000000000         |
        | /beta/app/calls/00000000-0000-0000-0000-000000000000                    |
        | /beta/applications/${app_id}/calls/00000000-0000-0000-0000-000000000000 |
        | /v1.0/communications/calls/unknown                                      |

    Scenario: DELETE of an unknown call
      There is no step for a DELETE of any path: setting the captured call's location by hand
      makes "the bot hangs up" send it.

      Given the variables:
        | name | value                                                                                 |
        | call | {location: "${graph}/v1.0/communications/calls/00000000-0000-0000-0000-000000000000"} |
      When the bot hangs up
      Then the response is the Graph error 404 "8522"
      And the response error message is "Call not found."
      And the bot receives no further notifications within 500 ms

    Scenario: Hanging up an ended call, and reading it back
      Given the app has the permissions "Calls.Initiate.All"
      And a call request from template "v1/p2p-voip-service-hosted"
      When the bot creates the call
      Then the response status is 201
      And the bot receives notifications in order:
        | changeType | resourceData.state | resourceData.mediaState.audio |
        | updated    | establishing       |                               |
        | updated    | established        |                               |
        | updated    | established        | active                        |
      When the bot hangs up
      Then the response status is 204
      # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
      # (capture P2PTest2Event4..6; FIDELITY.md).
      Then the bot receives notifications in order:
        | resourceUrl                                   | resourceData.chatInfo.messageId |
        | /communications/calls/${call.id}              | "0"                             |
        | /communications/calls/${call.id}              | "0"                             |
        | /communications/calls/${call.id}/participants |                                 |
      And the bot receives notifications in order:
        | changeType | resourceUrl                      | resourceData.state | resourceData.resultInfo.code | resourceData.resultInfo.subcode |
        | updated    | /communications/calls/${call.id} | terminating        |                              |                                 |
        | deleted    | /communications/calls/${call.id} | terminated         | 200                          | 5001                            |
      When the bot hangs up
      Then the response is the Graph error 404 "8522"
      And the response error message is "Call not found."
      When the bot gets the call
      Then the response is the Graph error 404 "8522"
      And the response error message is "Call not found."
      And the bot receives no further notifications within 500 ms

    Scenario: A call made on /communications/calls is also found on the older /app/calls path
      # Every operation page lists `/app/calls/{id}/...` beside `/communications/calls` (issue 18).
      Given a call request from template "v1/p2p-voip-service-hosted"
      When the bot creates the call
      Then the response status is 201
      When the bot gets "/beta/app/calls/${call.id}"
      Then the response status is 200

  Rule: a path outside the calling API is a bad request

    Scenario Outline: GET <path>
      When the bot gets "<path>"
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex Resource not found for the segment .+"
        """

      Examples:
        | path                                       |
        | /v1.0/me                                   |
        | /v1.0/communications/callz/123             |
        | /v1.0/communications/calls                 |
        | /v2.0/communications/calls/123             |
        | /v1.0/communications/calls/123/dance/floor |
        | /                                          |

    Scenario Outline: POST of a call to <path>
      Given a call request from template "v1/p2p-voip-service-hosted"
      When the bot creates the call on "<path>"
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex Resource not found for the segment .+"
        """
      And the bot receives no further notifications within 500 ms

      Examples:
        | path                                                            |
        | /v2.0/communications/calls                                      |
        | /v1.0/app/calls                                                 |
        | /v1.0/communications/calls/00000000-0000-0000-0000-000000000000 |
        | /v1.0/communications/calls/123/dance                            |
        | /beta/communications                                            |
