# syntax=docker/dockerfile:1.7
# AudioClassifier service images.
#   CPU (default, smaller):  docker build --target cpu -t audioclf:cpu .
#   GPU (CUDA 13, cuDNN 9):  docker build --target gpu -t audioclf:gpu .
#   Tests in the SDK image:  docker build --target test --build-context shared=../shared .
# Microsoft.ML.OnnxRuntime.Gpu 1.31's CUDA provider links libcublasLt/libcublas.so.13, libcudart.so.13 and
# libcurand.so.10 (CUDA 13) and loads cuDNN 9 at run time, hence the CUDA 13 cuDNN runtime base for the GPU target.

ARG DOTNET_VERSION=10.0
ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04

# ---- build: restore from the project files alone (this layer and the package cache are reused until a project or
# a package version changes), then the sources ----
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-noble AS build
WORKDIR /src
COPY AudioClassifier.slnx Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/AudioClassifier.Api/AudioClassifier.Api.csproj src/AudioClassifier.Api/
COPY src/AudioClassifier.Audio/AudioClassifier.Audio.csproj src/AudioClassifier.Audio/
COPY src/AudioClassifier.Imaging/AudioClassifier.Imaging.csproj src/AudioClassifier.Imaging/
COPY src/AudioClassifier.Onnx/AudioClassifier.Onnx.csproj src/AudioClassifier.Onnx/
COPY src/AudioClassifier.Onnx.Contract/AudioClassifier.Onnx.Contract.csproj src/AudioClassifier.Onnx.Contract/
RUN dotnet restore src/AudioClassifier.Api/AudioClassifier.Api.csproj -r linux-x64 -p:OnnxRuntimeBackend=cpu \
    && dotnet restore src/AudioClassifier.Api/AudioClassifier.Api.csproj -r linux-x64 -p:OnnxRuntimeBackend=gpu
COPY . .

# ---- publish: the same command CI runs, one ONNX Runtime native package per image ----
FROM build AS publish-cpu
RUN bash scripts/publish.sh /app/publish cpu

FROM build AS publish-gpu
RUN bash scripts/publish.sh /app/publish gpu

# ---- test: the README's test command, with ../shared passed as a named build context ----
FROM build AS test
RUN apt-get update && apt-get install -y --no-install-recommends sox lame g++ nodejs npm && rm -rf /var/lib/apt/lists/*
COPY --from=shared . /shared
ENV AUDIOCLF_SHARED=/shared
RUN bash scripts/test.sh

# ---- common runtime layout ----
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS cpu
WORKDIR /app
# ONNX Runtime's CPU package only: no CUDA library in this image.
COPY --from=publish-cpu /app/publish .
COPY models/ /app/models/
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    Classifier__ModelPath=/app/models/esc10-resnet18.onnx \
    Classifier__ExecutionProvider=Cpu \
    DOTNET_gcServer=0
EXPOSE 8080 8081
USER $APP_UID
# No curl in the image: bash's /dev/tcp asks /healthz/live and checks for a 200.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz/live HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "AudioClassifier.Api.dll"]

FROM ${CUDA_IMAGE} AS gpu
# The ASP.NET Core runtime, copied from Microsoft's image (no SDK in the final image).
COPY --from=mcr.microsoft.com/dotnet/aspnet:10.0-noble /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && apt-get update && apt-get install -y --no-install-recommends libicu74 ca-certificates && rm -rf /var/lib/apt/lists/* \
    && (id -u 1654 >/dev/null 2>&1 || useradd --uid 1654 --create-home --shell /usr/sbin/nologin app)
WORKDIR /app
COPY --from=publish-gpu /app/publish .
COPY models/ /app/models/
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    Classifier__ModelPath=/app/models/esc10-resnet18.onnx \
    Classifier__ExecutionProvider=Cuda \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
EXPOSE 8080 8081
USER 1654
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz/live HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "AudioClassifier.Api.dll"]

# The default target is the CPU image.
FROM cpu
