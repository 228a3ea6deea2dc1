package liquid

import "testing"

// sendToFlexAttributes is a typical Send to Flex attributes property.
const sendToFlexAttributes = `{"name": "{{trigger.conversation.ChannelAttributes.from}}", "conversationSid": "{{trigger.conversation.ConversationSid}}", "customerAddress": "{{trigger.conversation.Author}}", "channelType": "{{trigger.conversation.Source | downcase}}", "queue": "{{flow.variables.queue | default: 'support'}}", "memory": {{widgets.ChatBot.memory | to_json}}}`

func BenchmarkRenderSendToFlexAttributes(b *testing.B) {
	tpl, err := Parse(sendToFlexAttributes)
	if err != nil {
		b.Fatal(err)
	}
	ctx := studioCtx()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
