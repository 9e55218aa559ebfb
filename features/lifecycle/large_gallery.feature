@lifecycle @group @mock-only
Feature: The large gallery view joins the roster
  After addLargeGalleryView completes, the roster has a participant for the large gallery view:
  an application whose ApplicationType is LargeGallery-V2, whose video stream sends and whose
  metadata gives its page (concepts/cloud-communications-identifylargegalleryview.md).

  Scenario: The bot adds the large gallery view to a group call
    Given a call request from template "v1/group-call-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData[1].info.identity.user.displayName |
      | /communications/calls/${call.id}              | establishing       |                                                |
      | /communications/calls/${call.id}              | established        |                                                |
      | /communications/calls/${call.id}/participants |                    |                                                |
      | /communications/calls/${call.id}/participants |                    |                                                |
      | /communications/calls/${call.id}/participants |                    | user2                                          |
    When the bot sends "addLargeGalleryView" with:
      """
      clientContext: 785f4929-92ca-497b-863f-c778c77c9758
      """
    Then the response status is 202
    And the bot receives notifications in order:
      | changeType | resourceUrl                                   | resourceData.["@odata.type"]                  | resourceData.status | resourceData[2].info.identity.application.ApplicationType | resourceData[2].mediaStreams[1].mediaType | resourceData[2].mediaStreams[1].direction |
      | deleted    |                                               | #microsoft.graph.addLargeGalleryViewOperation | completed           |                                                           |                                           |                                           |
      | updated    | /communications/calls/${call.id}/participants |                                               |                     | LargeGallery-V2                                           | video                                     | sendReceive                               |
    When the bot gets "/v1.0/communications/calls/${call.id}/participants"
    Then the response status is 200
    And the response has:
      | path                                              | value                    |
      | value[2].info.identity.application.ApplicationType | "LargeGallery-V2"        |
      | value[2].metadata                                 | "#regex .*audienceView.*" |

  Scenario: The large gallery view keeps no call alive once everyone else has left
    Given a call request from template "v1/group-call-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state |
      | /communications/calls/${call.id}              | establishing       |
      | /communications/calls/${call.id}              | established        |
      | /communications/calls/${call.id}/participants |                    |
      | /communications/calls/${call.id}/participants |                    |
      | /communications/calls/${call.id}/participants |                    |
    When the bot sends "addLargeGalleryView" with:
      """
      clientContext: g
      """
    Then the bot receives notifications in order:
      | changeType | resourceData.["@odata.type"]                  |
      | deleted    | #microsoft.graph.addLargeGalleryViewOperation |
      | updated    | #notpresent                                   |
    When "user1" leaves the call
    And "user2" leaves the call
    Then the bot receives notifications in order:
      | changeType | resourceUrl                                   | resourceData.state | resourceData.resultInfo.subcode |
      | updated    | /communications/calls/${call.id}/participants |                    |                                 |
      | deleted    | /communications/calls/${call.id}              | terminated         | 5010                            |
