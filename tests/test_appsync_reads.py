"""An AppSync DynamoDB data source reads or writes its table as its resolvers ask: a table
only read through the API is no egress."""

from __future__ import annotations

from pathlib import Path

import pytest

from scan_helpers import edge_set, scan

API = """
Resources:
  Api:
    Type: AWS::AppSync::GraphQLApi
    Properties: {Name: notes, AuthenticationType: API_KEY}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Source:
    Type: AWS::AppSync::DataSource
    Properties:
      ApiId: !GetAtt Api.ApiId
      Name: notes_table
      Type: AMAZON_DYNAMODB
      ServiceRoleArn: arn:aws:iam::123456789012:role/appsync
      DynamoDBConfig: {TableName: !Ref Table, AwsRegion: !Ref AWS::Region}
RESOLVERS"""

RESOLVER = """
  {name}:
    Type: AWS::AppSync::Resolver
    Properties:
      ApiId: !GetAtt Api.ApiId
      TypeName: {type}
      FieldName: {name}
      DataSourceName: {source}
      RequestMappingTemplate: '{{"version": "2017-02-28", "operation": "{op}", "key": {{}}}}'
      ResponseMappingTemplate: $util.toJson($ctx.result)
"""


def _edges(tmp_path: Path, *resolvers: tuple[str, str, str, str]) -> tuple[set[str], set[str]]:
    text = API.replace(
        "RESOLVERS",
        "".join(RESOLVER.format(name=n, type=t, op=op, source=src) for n, t, op, src in resolvers),
    )
    path = tmp_path / "t.yaml"
    path.write_text(text)
    a = scan([str(path)])
    return edge_set(a), set(a.boundary.egress)


GET = ("getNote", "Query", "GetItem", "!GetAtt Source.Name")
PUT = ("saveNote", "Mutation", "PutItem", "notes_table")


@pytest.mark.parametrize(
    ("resolvers", "edges", "egress"),
    [
        ((GET,), {"Table -reads-> Api"}, set()),
        ((GET, PUT), {"Table -reads-> Api", "Api -triggers-> Table"}, set()),
        ((PUT,), {"Api -triggers-> Table"}, {"Table"}),
        ((), {"Api -triggers-> Table"}, {"Table"}),  # nothing says: as before, a write
    ],
)
def test_resolvers_decide_whether_the_api_reads_or_writes_the_table(
    tmp_path: Path,
    resolvers: tuple[tuple[str, str, str, str], ...],
    edges: set[str],
    egress: set[str],
) -> None:
    assert _edges(tmp_path, *resolvers) == (edges, egress)
