import os
import sys
import glob
import json
import socket
from collections import deque
import argparse
import subprocess
import time
import threading
import select
from datetime import datetime, timezone, timedelta
from flask import Flask, render_template_string, request, jsonify, Response, make_response
import requests as _requests

app = Flask(__name__)
SESSIONS_DIR = None


_api_tool_cache = {}
_api_tool_cache_time = {}

@app.route('/api/component/tool/<name>')
def api_component_tool(name):
    """Parse session transcripts for tool-specific events. Cached for 15s."""
    import time as _time
    now = _time.time()
    if name in _api_tool_cache and (now - _api_tool_cache_time.get(name, 0)) < 15:
        return jsonify(_api_tool_cache[name])
    sessions_dir = SESSIONS_DIR or os.path.expanduser('~/.openclaw/agents/main/sessions')
    if not os.path.isdir(sessions_dir):
        for p in [
            os.path.expanduser('~/.clawdbot/agents/main/sessions'),
            os.path.expanduser('~/.moltbot/agents/main/sessions'),
            os.path.expanduser('~/.openclaw/agents/main/sessions'),
        ]:
            if os.path.isdir(p):
                sessions_dir = p
                break
    if not os.path.isdir(sessions_dir):
        sessions_dir = os.path.expanduser('~/.clawdbot/agents/main/sessions')

    today = datetime.now().strftime('%Y-%m-%d')

    # Map tool key to tool names in transcripts
    TOOL_MAP = {
        'session': ['sessions_spawn', 'sessions_send', 'sessions_list', 'sessions_poll'],
        'exec': ['exec', 'process'],
        'browser': ['browser', 'web_fetch'],
        'search': ['web_search'],
        'cron': ['cron'],
        'tts': ['tts'],
        'memory': ['Read', 'read', 'Write', 'write', 'Edit', 'edit'],
    }

    tool_names = TOOL_MAP.get(name, [name])
    events = []
    today_calls = 0
    today_errors = 0

    if os.path.isdir(sessions_dir):
        for fname in os.listdir(sessions_dir):
            if not fname.endswith('.jsonl'):
                continue
            fpath = os.path.join(sessions_dir, fname)
            try:
                mtime = os.path.getmtime(fpath)
                if datetime.fromtimestamp(mtime).strftime('%Y-%m-%d') != today:
                    continue

                with open(fpath, 'r') as f:
                    for line in f:
                        try:
                            obj = json.loads(line.strip())
                        except json.JSONDecodeError:
                            continue

                        if obj.get('type') != 'message':
                            continue
                        msg = obj.get('message', {})

                        # Tool calls (assistant side)
                        if msg.get('role') == 'assistant':
                            for c in (msg.get('content') or []):
                                if isinstance(c, dict) and c.get('type') == 'toolCall' and c.get('name') in tool_names:
                                    ts = obj.get('timestamp', '')
                                    if not ts.startswith(today):
                                        continue
                                    tn = c.get('name', '')
                                    args = c.get('arguments', {})
                                    today_calls += 1

                                    evt = {'timestamp': ts, 'status': 'ok', 'tool': tn}

                                    if name == 'exec':
                                        evt['detail'] = (args.get('command') or str(args))[:200]
                                        evt['action'] = 'exec'
                                    elif name == 'browser':
                                        evt['action'] = args.get('action', 'unknown')
                                        evt['detail'] = args.get('targetUrl') or args.get('url') or args.get('selector') or evt['action']
                                    elif name == 'search':
                                        evt['detail'] = args.get('query', '?')
                                        evt['action'] = 'search'
                                    elif name == 'tts':
                                        evt['detail'] = (args.get('text') or '')[:100]
                                        evt['action'] = 'tts'
                                        evt['voice'] = args.get('voice', '')
                                    elif name == 'memory':
                                        path = args.get('file_path') or args.get('path') or '?'
                                        evt['detail'] = path
                                        evt['action'] = 'write' if tn in ('Write', 'write', 'Edit', 'edit') else 'read'
                                    elif name == 'session':
                                        evt['detail'] = args.get('sessionId') or args.get('name') or tn
                                        evt['action'] = tn
                                        evt['session_status'] = 'running'
                                    elif name == 'cron':
                                        evt['detail'] = args.get('expr') or args.get('action') or str(args)[:80]
                                        evt['action'] = 'cron'
                                    else:
                                        evt['detail'] = str(args)[:120]
                                        evt['action'] = tn

                                    events.append(evt)

                        # Tool results
                        elif msg.get('role') == 'toolResult' and msg.get('toolName') in tool_names:
                            ts = obj.get('timestamp', '')
                            if not ts.startswith(today):
                                continue
                            details = msg.get('details', {})
                            is_error = msg.get('isError', False) or (isinstance(details, dict) and details.get('status') == 'error')
                            if is_error:
                                today_errors += 1
                                # Mark last matching event as error
                                for e in reversed(events):
                                    if e.get('tool') == msg.get('toolName') and e.get('status') == 'ok':
                                        e['status'] = 'error'
                                        break

                            # Add duration from details
                            if isinstance(details, dict) and details.get('duration_ms'):
                                for e in reversed(events):
                                    if e.get('tool') == msg.get('toolName') and not e.get('duration_ms'):
                                        e['duration_ms'] = details['duration_ms']
                                        break

                            # For sessions, update status from result
                            if name == 'session' and isinstance(details, dict):
                                for e in reversed(events):
                                    if e.get('tool') == msg.get('toolName'):
                                        if details.get('status') == 'done':
                                            e['session_status'] = 'done'
                                        if details.get('model'):
                                            e['model'] = details['model']
                                        if details.get('tokens'):
                                            e['tokens'] = details['tokens']
                                        break

            except Exception:
                continue

    # For cron, also pull from cron jobs data
    if name == 'cron' and not events:
        try:
            crons = _get_crons()
            for cj in crons[:20]:
                events.append({
                    'timestamp': cj.get('lastRun') or cj.get('createdAt') or '',
                    'action': 'cron',
                    'detail': (cj.get('expr') or '') + ' → ' + (cj.get('task') or cj.get('command') or '')[:60],
                    'status': 'ok' if cj.get('lastStatus') != 'error' else 'error',
                })
        except Exception:
            pass

    # For sessions, also pull live session data
    if name == 'session' and not events:
        try:
            sessions = _get_sessions()
            for sess in sessions[:20]:
                events.append({
                    'timestamp': datetime.fromtimestamp(sess['updatedAt'] / 1000).isoformat() if sess.get('updatedAt') else '',
                    'action': 'session',
                    'detail': sess.get('displayName') or sess.get('sessionId', '?')[:20],
                    'session_status': 'running',
                    'model': sess.get('model', ''),
                    'tokens': sess.get('totalTokens', 0),
                    'status': 'ok',
                })
        except Exception:
            pass

    # Sort by timestamp descending, limit to 50
    events.sort(key=lambda e: e.get('timestamp', ''), reverse=True)
    events = events[:50]

    result = {
        'name': name,
        'stats': {'today_calls': today_calls, 'today_errors': today_errors},
        'events': events,
        'total': today_calls,
    }

    # Enrich with tool-specific data
    if name == 'session':
        # Add live sub-agent data
        try:
            sa_data = api_subagents().get_json()
            result['subagents'] = sa_data.get('subagents', [])
        except Exception:
            result['subagents'] = []

    elif name == 'exec':
        # Check for running background processes
        running = []
        try:
            proc_dir = os.path.expanduser('~/.openclaw/processes')
            if not os.path.isdir(proc_dir):
                proc_dir = os.path.expanduser('~/.clawdbot/processes')
            if os.path.isdir(proc_dir):
                for pf in os.listdir(proc_dir):
                    try:
                        with open(os.path.join(proc_dir, pf)) as pfile:
                            pdata = json.load(pfile)
                            if pdata.get('running', False):
                                running.append({
                                    'command': pdata.get('command', '?'),
                                    'pid': pdata.get('pid', ''),
                                })
                    except Exception:
                        pass
        except Exception:
            pass
        result['running_commands'] = running

    elif name == 'browser':
        # Extract unique URLs from events
        seen = set()
        urls = []
        for evt in events:
            url = evt.get('detail', '')
            if url.startswith('http') and url not in seen:
                seen.add(url)
                urls.append({'url': url, 'timestamp': evt.get('timestamp', '')})
        result['recent_urls'] = urls[:20]

    elif name == 'cron':
        # Add full cron job list
        try:
            crons = _get_crons()
            result['cron_jobs'] = []
            for cj in crons:
                result['cron_jobs'].append({
                    'id': cj.get('id', ''),
                    'name': cj.get('name') or cj.get('task') or cj.get('id', '?'),
                    'expr': (cj['expr'].get('expr', str(cj['expr'])) if isinstance(cj.get('expr'), dict) else cj.get('expr') or cj.get('schedule', '')),
                    'task': cj.get('task') or cj.get('command', ''),
                    'channel': cj.get('channel', ''),
                    'lastRun': cj.get('lastRun') or cj.get('lastRunAt', ''),
                    'nextRun': cj.get('nextRun') or cj.get('nextRunAt', ''),
                    'lastStatus': cj.get('lastStatus', 'ok'),
                    'lastError': cj.get('lastError', ''),
                })
        except Exception:
            result['cron_jobs'] = []

    elif name == 'memory':
        # Add workspace file listing
        try:
            result['memory_files'] = _get_memory_files()
        except Exception:
            result['memory_files'] = []

    _api_tool_cache[name] = result
    _api_tool_cache_time[name] = _time.time()
    return jsonify(result)


