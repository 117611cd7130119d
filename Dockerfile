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
# Inside a container Streamlit must listen on all interfaces, so the image fails closed: proxy mode, which
# refuses to start until TOKENOMICS_PROXY_SECRET and/or TOKENOMICS_TRUSTED_PROXIES say how to recognise the
# authenticating proxy (docs/deploy.md).  Publish this port to nothing but that proxy.
ENV TOKENOMICS_AUTH=proxy
EXPOSE 8501
CMD ["tokenomics", "serve", "--address", "0.0.0.0", "--port", "8501"]
