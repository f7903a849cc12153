# Builds the podium binary and ships it with the SQL migrations and the coaching workflows.
#   docker build -t podium .
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product podium --static-swift-stdlib

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates tzdata curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/podium podium
COPY --from=build /src/.build/release/podium /usr/local/bin/podium
# The server's resources (its OpenAPI document) sit beside the binary, where Bundle.module looks.
COPY --from=build /src/.build/release/Podium_PodiumServer.resources /usr/local/bin/Podium_PodiumServer.resources
COPY SQL /usr/local/share/podium/SQL
COPY Workflows /usr/local/share/podium/Workflows
COPY Calendars /usr/local/share/podium/Calendars
USER podium
WORKDIR /var/lib/podium
ENTRYPOINT ["podium"]
CMD ["--help"]
