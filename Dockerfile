FROM python:3.11-slim
WORKDIR /srv/tokenomics
COPY pyproject.toml README.md ./
COPY tokenomics tokenomics
COPY app app
COPY ingest ingest
COPY pricing pricing
COPY sql sql
RUN pip install --no-cache-dir .
ENV TOKENOMICS_DB=/data/tokenomics.duckdb
EXPOSE 8501
CMD ["tokenomics", "serve", "--port", "8501"]
